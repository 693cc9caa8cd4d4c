package org.sparkcnn.block;

import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkcnn.kernel.Parallel;
import org.sparkcnn.layer.AbstractLayer;
import org.sparkcnn.layer.Layer;

/** A layer made of sub-layers: passes the thread pool, paths and initialisation on to them. */
public abstract class Container extends AbstractLayer {
    protected final List<Layer> children;

    protected Container(String name, List<Layer> children) {
        super(name);
        this.children = List.copyOf(children);
        require(!this.children.isEmpty(), "needs at least one sub-layer");
        setPath(name());
    }

    @Override
    public List<Layer> children() {
        return children;
    }

    @Override
    public void setParallel(Parallel parallel) {
        super.setParallel(parallel);
        for (Layer c : children) {
            c.setParallel(parallel);
        }
    }

    @Override
    public void setPath(String path) {
        super.setPath(path);
        for (Layer c : children) {
            c.setPath(join(path, c.name()));
        }
    }

    /** Qualified child name; an empty name is transparent. */
    public static String join(String prefix, String name) {
        if (name.isEmpty()) {
            return prefix;
        }
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    @Override
    public void init(RandomGenerator rng) {
        for (Layer c : children) {
            c.init(rng);
        }
    }
}
