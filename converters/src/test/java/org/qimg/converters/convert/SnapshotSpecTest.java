package org.qimg.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.SnapshotInfo;

class SnapshotSpecTest {

    /** An image with a snapshot table and nothing else; records which id or name was opened. */
    private static final class SnapshotTableOnly implements DiskImage {
        final List<SnapshotInfo> table;
        final List<String> opened = new ArrayList<>();

        SnapshotTableOnly(String... idNamePairs) {
            table = new ArrayList<>();
            for (int i = 0; i < idNamePairs.length; i += 2) {
                table.add(new SnapshotInfo(idNamePairs[i], idNamePairs[i + 1], 0, 0, 0, 0, -1, -1));
            }
        }

        @Override
        public Path path() {
            return Path.of("t.qcow2");
        }

        @Override
        public String formatName() {
            return "qcow2";
        }

        @Override
        public long virtualSize() {
            return 512;
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Extent extentAt(long offset, long maxLength) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ImageInfo info() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<SnapshotInfo> snapshots() {
            return table;
        }

        @Override
        public DiskImage openSnapshot(String idOrName) {
            opened.add(idOrName);
            return this;
        }

        @Override
        public long actualSize() {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void plainArgumentIsIdOrNameForEverySource() throws IOException {
        SnapshotSpec s = SnapshotSpec.parse("snap1");
        assertThat(s.firstSourceOnly()).isFalse();
        SnapshotTableOnly img = new SnapshotTableOnly("1", "snap1");
        s.open(img);
        assertThat(img.opened).containsExactly("snap1");
    }

    @Test
    void longFormSelectsByIdByNameOrBoth() throws IOException {
        SnapshotTableOnly img = new SnapshotTableOnly("1", "2", "2", "1", "3", "x,y");
        assertThat(SnapshotSpec.parse("snapshot.id=2").firstSourceOnly()).isTrue();
        SnapshotSpec.parse("snapshot.id=2").open(img);
        // by name only: the snapshot *named* "2" (id 1), not the one with id 2
        SnapshotSpec.parse("snapshot.name=2").open(img);
        SnapshotSpec.parse("snapshot.id=2,snapshot.name=1").open(img);
        SnapshotSpec.parse("snapshot.name=x,,y").open(img);
        // a repeated key keeps its last value
        SnapshotSpec.parse("snapshot.id=1,snapshot.id=3").open(img);
        assertThat(img.opened).containsExactly("2", "1", "2", "3", "3");
    }

    @Test
    void bothGivenBothMustMatch() throws IOException {
        SnapshotTableOnly img = new SnapshotTableOnly("1", "snap1", "2", "snap2");
        assertThatThrownBy(() -> SnapshotSpec.parse("snapshot.id=1,snapshot.name=snap2").open(img))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("id '1' and name 'snap2'");
        assertThat(img.opened).isEmpty();
    }

    @Test
    void unknownKeyIsRejectedAsQemuImgDoes() {
        assertThatThrownBy(() -> SnapshotSpec.parse("snapshot.foo=1"))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("Invalid parameter 'snapshot.foo'")
                .hasMessageContaining("Failed in parsing snapshot param 'snapshot.foo=1'");
    }

    @Test
    void keyWithoutValueMeansOn() throws IOException {
        SnapshotTableOnly img = new SnapshotTableOnly("on", "a");
        SnapshotSpec.parse("snapshot.id").open(img);
        assertThat(img.opened).containsExactly("on");
    }
}
