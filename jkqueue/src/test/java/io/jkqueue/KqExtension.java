package io.jkqueue;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Gives a test a fresh kqueue for each {@code KQueue} parameter of its
 * constructor, test method or lifecycle method, and closes it when the test
 * ends (closing drops the knotes, so timers and callouts do not leak from one
 * test into the next). Two parameters are two kqueues.
 */
final class KqExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
        return p.getParameter().getType() == KQueue.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
        KQueue kq;
        try {
            kq = KQueue.open();
        } catch (IOException e) {
            throw new ParameterResolutionException("KQueue.open() failed", new UncheckedIOException(e));
        }
        // the store closes what it holds (an AutoCloseable) when the test's context ends
        ctx.getStore(ExtensionContext.Namespace.create(KqExtension.class, p.getDeclaringExecutable()))
                .put(p.getIndex(), kq);
        return kq;
    }

    /** A constructor's kqueue belongs to the one test the instance is made for, not to the whole class. */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }
}
