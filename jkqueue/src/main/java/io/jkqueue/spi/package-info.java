package io.jkqueue.spi;
