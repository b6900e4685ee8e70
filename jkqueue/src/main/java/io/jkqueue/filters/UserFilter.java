package io.jkqueue.filters;

import io.jkqueue.KEventList;
import io.jkqueue.spi.FilterOps;
import io.jkqueue.spi.Knote;

import static io.jkqueue.KEvent.EV_CLEAR;
import static io.jkqueue.KEvent.NOTE_FFAND;
import static io.jkqueue.KEvent.NOTE_FFCOPY;
import static io.jkqueue.KEvent.NOTE_FFCTRLMASK;
import static io.jkqueue.KEvent.NOTE_FFLAGSMASK;
import static io.jkqueue.KEvent.NOTE_FFOR;
import static io.jkqueue.KEvent.NOTE_TRIGGER;

/**
 * EVFILT_USER (filt_user*): attached to nothing; kn_hookid is the
 * "triggered" bit, kn_sfflags and kn_sdata are what the user stores.
 */
final class UserFilter implements FilterOps {

    @Override
    public boolean isFd() {
        return false;
    }

    /** filt_userattach. kn_fflags is still 0 here, so EV_ADD never triggers by itself. */
    @Override
    public int attach(Knote kn) {
        kn.setHook(null);
        kn.setHookId((kn.fflags() & NOTE_TRIGGER) != 0 ? 1 : 0);
        return 0;
    }

    @Override
    public void detach(Knote kn) {
        // attached to nothing
    }

    @Override
    public boolean event(Knote kn, long hint) {
        return kn.hookId() != 0;
    }

    @Override
    public boolean hasTouch() {
        return true;
    }

    /** filt_usertouch. */
    @Override
    public void touch(Knote kn, KEventList kev, int i, int type) {
        switch (type) {
            case EVENT_REGISTER -> {
                int fflags = kev.fflags(i);
                if ((fflags & NOTE_TRIGGER) != 0) {
                    kn.setHookId(1);
                }
                int ffctrl = fflags & NOTE_FFCTRLMASK;
                fflags &= NOTE_FFLAGSMASK;
                kev.set(i, kev.ident(i), kev.filter(i), kev.flags(i), fflags, kev.data(i), kev.udata(i));
                switch (ffctrl) {
                    case NOTE_FFAND -> kn.setSfflags(kn.sfflags() & fflags);
                    case NOTE_FFOR -> kn.setSfflags(kn.sfflags() | fflags);
                    case NOTE_FFCOPY -> kn.setSfflags(fflags);
                    default -> { } // NOTE_FFNOP
                }
                kn.setSdata(kev.data(i));
                if ((kev.flags(i) & EV_CLEAR) != 0) {
                    clear(kn);
                }
            }
            case EVENT_PROCESS -> {
                kev.set(i, kn.ident(), kn.filter(), kn.flags(), kn.sfflags(), kn.sdata(), kn.udata());
                if ((kn.flags() & EV_CLEAR) != 0) {
                    clear(kn);
                }
            }
            default -> throw new IllegalArgumentException("touch type " + type);
        }
    }

    private static void clear(Knote kn) {
        kn.setHookId(0);
        kn.setData(0);
        kn.setFflags(0);
    }
}
