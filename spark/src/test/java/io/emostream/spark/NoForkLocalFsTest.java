package io.emostream.spark;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.Test;

/**
 * The job's local file systems (Job.session: fs.file.impl, fs.AbstractFileSystem.file.impl) do what Spark's checkpoint
 * file manager asks of them, the way it asks (FileContext: create with a permission, rename with overwrite), without
 * starting a process: Hadoop's own ran chmod and readlink for these calls (no native library here).
 */
public class NoForkLocalFsTest {
    private static Configuration conf() {
        Configuration conf = new Configuration(false);
        conf.set("fs.file.impl", NoCrcLocalFileSystem.class.getName());
        conf.setBoolean("fs.file.impl.disable.cache", true);
        conf.set("fs.AbstractFileSystem.file.impl", NoForkLocalFs.class.getName());
        return conf;
    }

    /** CPU time of this JVM's finished child processes (utime + stime of waited-for children, in clock ticks). */
    private static long childTicks() throws Exception {
        String stat = Files.readString(new File("/proc/self/stat").toPath());
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[13]) + Long.parseLong(f[14]); // cutime (16), cstime (17)
    }

    /** The number of processes this JVM started and waited for, as far as /proc tells: their CPU time must not grow. */
    @Test
    public void checkpointFileCallsStartNoProcess() throws Exception {
        Configuration conf = conf();
        FileContext fc = FileContext.getFileContext(new File("/").toURI(), conf);
        assertTrue(fc.getDefaultFileSystem() instanceof NoForkLocalFs);
        File dir = Files.createTempDirectory("emostream-nofork").toFile();
        try {
            long before = childTicks();
            for (int i = 0; i < 300; i++) {
                Path tmp = new Path(dir.toURI().toString(), "." + i + ".tmp"), done = new Path(dir.toURI().toString(), String.valueOf(i % 3));
                try (FSDataOutputStream out = fc.create(tmp, EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE), Options.CreateOpts.perms(FsPermission.getFileDefault()))) {
                    out.write(("v" + i).getBytes(StandardCharsets.UTF_8));
                }
                fc.rename(tmp, done, Options.Rename.OVERWRITE); // what FileContextBasedCheckpointFileManager does
                assertFalse(fc.getFileLinkStatus(done).isSymlink());
            }
            assertEquals("child processes' CPU ticks", 0, childTicks() - before);
            assertArrayEquals(new String[] {"0", "1", "2"}, java.util.Arrays.stream(dir.list()).sorted().toArray());
            assertEquals("v299", Files.readString(new File(dir, "2").toPath()));
        } finally {
            for (File f : dir.listFiles()) f.delete();
            dir.delete();
        }
    }

    @Test
    public void permissionsAndLinksAsHadoopSetsAndReportsThem() throws Exception {
        FileSystem fs = FileSystem.get(new File("/").toURI(), conf());
        assertTrue(fs instanceof NoCrcLocalFileSystem);
        File dir = Files.createTempDirectory("emostream-nofork").toFile();
        try {
            Path p = new Path(dir.getPath(), "f");
            try (FSDataOutputStream out = fs.create(p, new FsPermission((short) 0640), true, 4096, (short) 1, 1 << 20, null)) {
                out.write(1);
            }
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(new File(dir, "f").toPath())));
            fs.setPermission(p, new FsPermission((short) 0754));
            assertEquals("rwxr-xr--", PosixFilePermissions.toString(Files.getPosixFilePermissions(new File(dir, "f").toPath())));
            assertEquals((short) 0754, fs.getFileStatus(p).getPermission().toShort());
            assertTrue(fs.mkdirs(new Path(dir.getPath(), "d"), new FsPermission((short) 0700)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(new File(dir, "d").toPath())));

            NoForkRawLocalFileSystem raw = new NoForkRawLocalFileSystem();
            raw.initialize(new File("/").toURI(), conf());
            FileStatus file = raw.getFileLinkStatus(p);
            assertFalse(file.isSymlink());
            assertEquals(1, file.getLen());
            Files.createSymbolicLink(new File(dir, "link").toPath(), new File(dir, "f").toPath());
            // a symbolic link goes to Hadoop's own code, unchanged
            FileStatus viaHadoop = new org.apache.hadoop.fs.RawLocalFileSystem() {
                {
                    initialize(new File("/").toURI(), conf());
                }
            }.getFileLinkStatus(new Path(dir.getPath(), "link"));
            assertEquals(viaHadoop.isSymlink(), raw.getFileLinkStatus(new Path(dir.getPath(), "link")).isSymlink());
        } finally {
            for (File f : dir.listFiles()) f.delete();
            dir.delete();
        }
    }
}
