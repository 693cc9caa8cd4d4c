package org.sparkcnn.spark;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;

/** Classes only tests ship (they collect rows to check what the tasks saw), registered beside KryoClasses. */
public final class TestKryoClasses implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        for (String name : new String[] {"[Ljava.util.List;", "java.util.ArrayList", "java.util.Arrays$ArrayList",
            "org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema", "[Ljava.lang.Object;",
            "org.apache.spark.sql.catalyst.expressions.GenericRow", "[Lorg.apache.spark.sql.Row;", "[B",
            "scala.collection.immutable.ArraySeq$ofRef", "scala.collection.mutable.ArraySeq$ofRef"}) {
            try {
                kryo.register(Class.forName(name));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
