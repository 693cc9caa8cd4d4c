package org.sparkcnn.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No method of ours takes or returns a Vector API object. C2 inlines such a helper only when the
 * caller's profile marks the call site hot; otherwise the vector is boxed at the call, and then
 * every operation feeding it allocates (a lenet5 step went from 97 B to 870 KB when a 43-byte
 * helper was left out of one compilation as "too big"). See docs/performance.md.
 */
class VectorBoundaryTest {
    @Test
    void noEngineMethodPassesOrReturnsAVector() throws Exception {
        Path root = Path.of(Gemm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> offenders = new ArrayList<>();
        int classes = 0;
        try (Stream<Path> files = Files.walk(root.resolve("org/sparkcnn"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> c = Class.forName(name, false, getClass().getClassLoader());
                classes++;
                List<Executable> all = new ArrayList<>(List.of(c.getDeclaredMethods()));
                all.addAll(List.of(c.getDeclaredConstructors()));
                for (Executable e : all) {
                    boolean vector = Stream.of(e.getParameterTypes()).anyMatch(VectorBoundaryTest::isVector)
                            || e instanceof Method m && isVector(m.getReturnType());
                    if (vector) {
                        offenders.add(c.getName() + "." + e.getName());
                    }
                }
            }
        }
        assertEquals(true, classes > 50, "found only " + classes + " classes under " + root);
        assertEquals(List.of(), offenders, "methods with a Vector API parameter or result");
    }

    private static boolean isVector(Class<?> t) {
        return t.getName().startsWith("jdk.incubator.vector.");
    }
}
