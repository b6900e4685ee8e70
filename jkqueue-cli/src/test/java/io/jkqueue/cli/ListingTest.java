package io.jkqueue.cli;

import io.jkqueue.cli.Listing.Change;
import io.jkqueue.cli.Listing.Entry;
import io.jkqueue.cli.Listing.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The listing diff that names a directory's changed entries. */
class ListingTest {
    private static Entry file(long ino) {
        return new Entry(ino, Type.FILE);
    }

    @Test
    void aNewNameIsACreateAndAMissingOneADelete() {
        Listing before = new Listing(Map.of("kept", file(1), "old.txt", file(2)));
        Listing after = new Listing(Map.of("kept", file(1), "new.txt", file(3), "sub", new Entry(4L, Type.DIR)));
        assertThat(after.since(before)).containsExactly(
                new Change(Change.DELETE, "old.txt", null, Type.FILE),
                new Change(Change.CREATE, "new.txt", null, Type.FILE),
                new Change(Change.CREATE, "sub", null, Type.DIR));
    }

    @Test
    void theSameInodeUnderANewNameIsARename() {
        Listing before = new Listing(Map.of("a", file(1)));
        Listing after = new Listing(Map.of("b", file(1)));
        assertThat(after.since(before)).containsExactly(new Change(Change.RENAME, "a", "b", Type.FILE));
    }

    @Test
    void aRenameOverAnotherFileReplacesItWithoutADelete() {
        // sed -i, an editor's atomic save: write a temporary file, rename it over the old one
        Listing before = new Listing(Map.of("f.txt", file(1), ".f.txt.tmp", file(2)));
        Listing after = new Listing(Map.of("f.txt", file(2)));
        assertThat(after.since(before)).containsExactly(new Change(Change.RENAME, ".f.txt.tmp", "f.txt", Type.FILE));
    }

    @Test
    void aNameThatNowHoldsAnotherNewFileIsDeletedAndCreated() {
        Listing before = new Listing(Map.of("f", file(1)));
        Listing after = new Listing(Map.of("f", file(2)));
        assertThat(after.since(before)).containsExactly(
                new Change(Change.DELETE, "f", null, Type.FILE), new Change(Change.CREATE, "f", null, Type.FILE));
    }

    @Test
    void twoNamesSwappedAreTwoRenames() {
        Listing before = new Listing(Map.of("a", file(1), "b", file(2)));
        Listing after = new Listing(Map.of("a", file(2), "b", file(1)));
        assertThat(after.since(before)).containsExactlyInAnyOrder(
                new Change(Change.RENAME, "a", "b", Type.FILE), new Change(Change.RENAME, "b", "a", Type.FILE));
    }

    @Test
    void nothingChangedIsNoChange() {
        Listing l = new Listing(Map.of("a", file(1)));
        assertThat(new Listing(Map.of("a", file(1))).since(l)).isEmpty();
    }

    @Test
    void aRealDirectorysRenameKeepsItsInode(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a"), "x");
        Files.createDirectory(dir.resolve("d"));
        Files.createSymbolicLink(dir.resolve("l"), dir.resolve("d"));
        Listing before = Listing.of(dir);
        assertThat(before.entries()).containsOnlyKeys("a", "d", "l");
        assertThat(before.entries().get("d").type()).isEqualTo(Type.DIR);
        assertThat(before.entries().get("l").type()).as("a link is not followed").isEqualTo(Type.SYMLINK);
        Files.move(dir.resolve("a"), dir.resolve("b"));
        Files.delete(dir.resolve("l"));
        assertThat(Listing.of(dir).since(before)).containsExactly(
                new Change(Change.DELETE, "l", null, Type.SYMLINK), new Change(Change.RENAME, "a", "b", Type.FILE));
    }
}
