package io.jkqueue.core;

import io.jkqueue.KQueueException;
import io.jkqueue.filters.SystemFilters;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * KqExtension's twin for the core tests: a fresh {@link KqueueImpl} (the
 * system filters installed) for each {@code KqueueImpl} parameter, closed
 * when the test ends.
 */
final class CoreKqExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
        return p.getParameter().getType() == KqueueImpl.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
        SystemFilters.install();
        KqueueImpl kq;
        try {
            kq = KqueueImpl.open();
        } catch (KQueueException e) {
            throw new ParameterResolutionException("KqueueImpl.open() failed", e);
        }
        // the store closes what it holds (an AutoCloseable) when the test's context ends
        ctx.getStore(ExtensionContext.Namespace.create(CoreKqExtension.class, p.getDeclaringExecutable()))
                .put(p.getIndex(), (AutoCloseable) kq::close);
        return kq;
    }

    /** A constructor's kqueue belongs to the one test the instance is made for, not to the whole class. */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }
}
