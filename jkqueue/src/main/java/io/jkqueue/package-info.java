package io.jkqueue;
