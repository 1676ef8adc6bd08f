package io.emostream.spark;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system without a child process per call. Without Hadoop's native library (libhadoop, not on
 * Maven Central) {@link RawLocalFileSystem} runs {@code chmod} for every file it creates with a permission and
 * {@code readlink} for every {@code getFileLinkStatus}, which {@code FileContext.rename} asks for the source and the
 * target: Spark's checkpoint file manager writes the offset and commit logs and the state stores' changelog files that
 * way, so the job forked about ten processes per micro-batch (a 1 GiB JVM each time, see README). Here the permission
 * is set and the link checked with {@code java.nio}; everything else is Hadoop's own.
 */
public class NoForkRawLocalFileSystem extends RawLocalFileSystem {
    private static final PosixFilePermission[] BITS = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };

    /** The rwx bits of a Hadoop permission (the sticky bit, which Hadoop's own chmod would set, is never asked for here). */
    static Set<PosixFilePermission> posix(FsPermission permission) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        int mode = permission.toShort();
        for (int i = 0; i < BITS.length; i++) if ((mode & (1 << i)) != 0) out.add(BITS[i]);
        return out;
    }

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
        if (permission.getStickyBit()) {
            super.setPermission(p, permission);
            return;
        }
        File f = pathToFile(p);
        try {
            Files.setPosixFilePermissions(f.toPath(), posix(permission));
        } catch (UnsupportedOperationException e) {
            super.setPermission(p, permission); // not a POSIX file system
        }
    }

    /**
     * A path that is not a symbolic link has its plain status (what Hadoop returns for it after {@code readlink} found
     * no target); a symbolic link is left to Hadoop.
     */
    @Override
    public FileStatus getFileLinkStatus(Path f) throws IOException {
        if (!Files.isSymbolicLink(pathToFile(f).toPath())) return getFileStatus(f);
        return super.getFileLinkStatus(f);
    }
}
