package org.sparkcnn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sparkcnn.model.ModelLibrary;

/**
 * The shipped recipes (conf/recipes/NAME.properties, docs/accuracy.md) are valid Spark-job
 * configurations of the library network they are named after, say in their header how to run
 * them, and state a measured result that docs/accuracy.md reports too: a header and the page
 * cannot drift apart.
 */
class RecipesTest {
    private static final Pattern REACHED = Pattern.compile("(?m)^# Reached: (\\d+\\.\\d\\d) % test accuracy .*$");

    private static List<Path> recipes() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("conf/recipes"))) {
            return s.filter(p -> p.toString().endsWith(".properties")).sorted().toList();
        }
    }

    @Test
    void everyRecipeIsAValidRunOfItsNetworkAndStatesWhatItReached() throws IOException {
        List<Path> recipes = recipes();
        assertFalse(recipes.isEmpty());
        String page = Files.readString(Path.of("docs/accuracy.md"));
        for (Path recipe : recipes) {
            String name = recipe.getFileName().toString().replace(".properties", "");
            TrainConfig c = TrainConfig.distributed().load(recipe).validate();
            assertTrue(ModelLibrary.NAMES.contains(name), recipe + " is not named after a library network");
            assertEquals(name, c.get("model"), recipe + " trains another network");
            assertEquals("2", c.get("partitions"), recipe + ": the targets are for 2 partitions");
            String text = Files.readString(recipe);
            assertTrue(text.contains("#   jobs/train.sh --config conf/recipes/" + name + ".properties\n"),
                    recipe + " does not say how to run it");
            Matcher m = REACHED.matcher(text);
            assertTrue(m.find(), recipe + " has no '# Reached: NN.NN % test accuracy …' line");
            assertTrue(page.contains("| " + name + " |") && page.contains(m.group(1) + " %"),
                    "docs/accuracy.md does not report " + recipe + "'s " + m.group(1) + " %");
        }
    }
}
