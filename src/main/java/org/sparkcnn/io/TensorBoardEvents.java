package org.sparkcnn.io;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file of scalars, as TensorFlow's summary writer makes one: TFRecord framing
 * (uint64 length, its masked CRC-32C, the record, the record's masked CRC-32C, all little-endian)
 * around serialized {@code tensorflow.Event} messages: first one with {@code file_version
 * "brain.Event:2"}, then one per scalar with {@code wall_time}, {@code step} and a {@code Summary}
 * of one {@code Value{tag, simple_value}}. The messages are encoded with protobuf-java's
 * CodedOutputStream, field numbers as in TensorFlow's event.proto and summary.proto.
 */
public final class TensorBoardEvents {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A file that starts with the version record. */
    public TensorBoardEvents(double wallTime) {
        record(event(wallTime, 0, e -> e.writeString(3, "brain.Event:2")));
    }

    /** Adds {@code tag} = {@code value} at {@code step}. */
    public TensorBoardEvents scalar(String tag, long step, double wallTime, float value) {
        record(event(wallTime, step, e -> {
            byte[] v = message(m -> {
                m.writeString(1, tag);
                m.writeFloat(2, value);
            });
            byte[] summary = message(s -> s.writeByteArray(1, v));
            e.writeByteArray(5, summary);
        }));
        return this;
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    private interface Fields {
        void write(CodedOutputStream o) throws IOException;
    }

    private static byte[] event(double wallTime, long step, Fields rest) {
        return message(e -> {
            e.writeDouble(1, wallTime);
            e.writeInt64(2, step);
            rest.write(e);
        });
    }

    private static byte[] message(Fields fields) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            CodedOutputStream o = CodedOutputStream.newInstance(b);
            fields.write(o);
            o.flush();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a TensorBoard event", e);
        }
        return b.toByteArray();
    }

    private void record(byte[] data) {
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        write(length);
        write(intBytes(maskedCrc(length)));
        write(data);
        write(intBytes(maskedCrc(data)));
    }

    private void write(byte[] b) {
        out.write(b, 0, b.length);
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** TFRecord's masked CRC-32C: rotated right by 15 bits, plus 0xa282ead8. */
    public static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }
}
