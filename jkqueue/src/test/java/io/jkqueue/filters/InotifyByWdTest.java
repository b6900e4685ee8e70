package io.jkqueue.filters;

import io.jkqueue.Kq;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** InotifySource's vnodes by watch descriptor against a HashMap model, with wds handed out as inotify does. */
class InotifyByWdTest {

    @Test
    void findsEveryLiveVnodeAndNoRemovedOneWhateverTheCollisions() {
        Random rnd = new Random(Kq.seed(7));
        InotifySource.ByWd table = new InotifySource.ByWd();
        Map<Integer, InotifySource.Vnode> model = new HashMap<>();
        List<Integer> live = new ArrayList<>();
        int nextWd = 1;
        for (int step = 0; step < 50_000; step++) {
            // mostly increasing wds, now and then one far ahead (a wrap of the 32-bit counter is not needed
            // for collisions: every wd past the table's size shares a home with a smaller one)
            if (live.isEmpty() || rnd.nextInt(100) < 52) {
                int wd = rnd.nextInt(50) == 0 ? nextWd + rnd.nextInt(1 << 20) : nextWd;
                nextWd = wd + 1;
                InotifySource.Vnode v = table.getOrAdd(wd);
                assertThat(v.wd).isEqualTo(wd);
                assertThat(table.getOrAdd(wd)).isSameAs(v);
                model.put(wd, v);
                live.add(wd);
            } else {
                int wd = live.remove(rnd.nextInt(live.size()));
                table.remove(model.remove(wd));
                assertThat(table.get(wd)).isNull();
            }
            if (step % 1_000 == 0) {
                for (Map.Entry<Integer, InotifySource.Vnode> e : model.entrySet()) {
                    assertThat(table.get(e.getKey())).isSameAs(e.getValue());
                }
                Map<InotifySource.Vnode, Boolean> slots = new IdentityHashMap<>();
                for (int i = 0; i < table.capacity(); i++) {
                    if (table.at(i) != null) {
                        slots.put(table.at(i), true);
                    }
                }
                assertThat(slots.keySet()).containsExactlyInAnyOrderElementsOf(model.values());
            }
        }
    }

    @Test
    void removingAVnodeNoLongerMappedLeavesTheTableAlone() {
        InotifySource.ByWd table = new InotifySource.ByWd();
        InotifySource.Vnode a = table.getOrAdd(3);
        table.remove(a);
        table.remove(a);   // the IN_IGNORED one, then its last knote's release
        InotifySource.Vnode b = table.getOrAdd(19);   // same home as 3 in 16 slots
        table.remove(new InotifySource.Vnode(19));
        assertThat(table.get(19)).isSameAs(b);
    }
}
