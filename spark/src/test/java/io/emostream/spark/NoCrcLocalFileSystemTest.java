package io.emostream.spark;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.Test;

public class NoCrcLocalFileSystemTest {
    @Test
    public void writesAndRenamesWithoutCrcFilesAndIsTheLocalFileSystemRocksDbAsksFor() throws Exception {
        Configuration conf = new Configuration(false);
        conf.set("fs.file.impl", NoCrcLocalFileSystem.class.getName());
        conf.setBoolean("fs.file.impl.disable.cache", true);
        LocalFileSystem fs = FileSystem.getLocal(conf); // what RocksDBFileManager calls: a cast to LocalFileSystem
        assertTrue(fs instanceof NoCrcLocalFileSystem);
        File dir = Files.createTempDirectory("emostream-nocrc").toFile();
        try {
            Path tmp = new Path(dir.getPath(), "a.tmp"), done = new Path(dir.getPath(), "a");
            try (FSDataOutputStream out = fs.create(tmp)) {
                out.write(new byte[] {1, 2, 3});
            }
            assertTrue(fs.rename(tmp, done));
            assertArrayEquals(new String[] {"a"}, dir.list());
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(new File(dir, "a").toPath()));
            assertEquals(3, fs.getFileStatus(done).getLen());
        } finally {
            for (File f : dir.listFiles()) f.delete();
            dir.delete();
        }
    }
}
