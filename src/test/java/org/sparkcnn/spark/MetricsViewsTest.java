package org.sparkcnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkcnn.io.TensorBoardEvents;

/**
 * metrics.csv and the TensorBoard event file made from metrics.jsonl lines: the CSV has a row per
 * epoch; the event file reads back record by record with both masked CRC-32Cs right, a version
 * record first, then every scalar at its epoch with its value.
 */
public class MetricsViewsTest {
    private static final List<String> LINES = List.of(
            "{\"epoch\":1,\"train_loss\":0.75,\"val_loss\":null,\"images_per_second\":1200.5,\"seconds\":10,"
                    + "\"learning_rate\":0.01,\"time\":1764590000.5,\"val_confusion\":[[1,0],[0,1]]}",
            "{\"epoch\":2,\"train_loss\":0.5,\"val_loss\":0.6,\"images_per_second\":1300,\"seconds\":9,"
                    + "\"learning_rate\":0.005,\"time\":1764590009.5}");

    private static List<JsonNode> parsed() throws Exception {
        List<JsonNode> l = new ArrayList<>();
        for (String s : LINES) {
            l.add(new ObjectMapper().readTree(s));
        }
        return l;
    }

    @Test
    void csvHasAColumnPerScalarAndARowPerEpoch() throws Exception {
        assertEquals("epoch,train_loss,val_loss,images_per_second,seconds,learning_rate,time\n"
                + "1,0.75,,1200.5,10,0.01,1.7645900005E9\n"
                + "2,0.5,0.6,1300,9,0.005,1.7645900095E9\n", MetricsViews.csv(parsed()));
    }

    /** tag@step → value, and the wall times, read back from an event file with every CRC checked. */
    public static Map<String, Float> read(byte[] file, List<Double> wallTimes, List<String> versions) throws Exception {
        Map<String, Float> scalars = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            byte[] length = new byte[8];
            b.get(length);
            assertEquals(TensorBoardEvents.maskedCrc(length), b.getInt(), "length CRC");
            byte[] data = new byte[(int) ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            b.get(data);
            assertEquals(TensorBoardEvents.maskedCrc(data), b.getInt(), "data CRC");
            CodedInputStream in = CodedInputStream.newInstance(data);
            long step = 0;
            String tag = null;
            float value = Float.NaN;
            for (int t; (t = in.readTag()) != 0; ) {
                switch (t >>> 3) {
                    case 1 -> wallTimes.add(in.readDouble());
                    case 2 -> step = in.readInt64();
                    case 3 -> versions.add(in.readString());
                    case 5 -> {
                        CodedInputStream summary = CodedInputStream.newInstance(in.readByteArray());
                        summary.readTag();
                        CodedInputStream v = CodedInputStream.newInstance(summary.readByteArray());
                        for (int u; (u = v.readTag()) != 0; ) {
                            if (u >>> 3 == 1) {
                                tag = v.readString();
                            } else {
                                value = v.readFloat();
                            }
                        }
                    }
                    default -> in.skipField(t);
                }
            }
            if (tag != null) {
                scalars.put(tag + "@" + step, value);
            }
        }
        return scalars;
    }

    @Test
    void tensorBoardEventsReadBackWithTheirCrcs() throws Exception {
        List<Double> walls = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        Map<String, Float> s = read(MetricsViews.events(parsed()), walls, versions);
        assertEquals(List.of("brain.Event:2"), versions);
        assertEquals(0.75f, s.get("train_loss@1"));
        assertEquals(0.5f, s.get("train_loss@2"));
        assertEquals(0.6f, s.get("val_loss@2"));
        assertEquals(0.005f, s.get("learning_rate@2"));
        assertEquals(1300f, s.get("images_per_second@2"));
        assertEquals(null, s.get("val_loss@1"), "null is no point");
        assertEquals(null, s.get("epoch@1"));
        assertEquals(1764590009.5, walls.get(walls.size() - 1));
        assertEquals(9, s.size(), s.toString());
    }
}
