package io.emcachers.oplog.support;

import io.emcachers.core.circuit.Breaker;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.TransactionPropagation;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collector;

/**
 * The read pool behind the {@code postgresql} circuit breaker: every statement executed on it,
 * every {@code withTransaction} / {@code withConnection} and every {@code getConnection} is one
 * guarded call, so the stores, the reader, the health reporter and the statistics refresh need no
 * breaker code of their own. Single statements are timed with {@code circuit.call_timeout_ms};
 * transactions and borrowed connections (the streamed proven-delete read of a scan end runs for
 * minutes on millions of rows) and the {@link #untimed(Pool) untimed} view (ANALYZE) are not: their
 * outcome counts, their duration does not. A connection handed to the caller (inside a transaction)
 * is the pool's own: its statements are not guarded one by one.
 */
public final class GuardedPool implements Pool {

  private final Pool delegate;
  private final Breaker breaker;
  private final boolean timed;

  public GuardedPool(Pool delegate, Breaker breaker) {
    this(delegate, breaker, true);
  }

  private GuardedPool(Pool delegate, Breaker breaker, boolean timed) {
    this.delegate = delegate;
    this.breaker = breaker;
    this.timed = timed;
  }

  /**
   * {@code pool} without the call timeout (still guarded) when it is a guarded pool, else {@code
   * pool}.
   */
  public static Pool untimed(Pool pool) {
    return pool instanceof GuardedPool g ? new GuardedPool(g.delegate, g.breaker, false) : pool;
  }

  public Breaker breaker() {
    return breaker;
  }

  private <T> Future<T> guard(String what, java.util.function.Supplier<Future<T>> work) {
    return timed ? breaker.call(what, work) : breaker.callUntimed(what, work);
  }

  static String label(String sql) {
    String s = sql.strip().replaceAll("\\s+", " ");
    return "query \"" + (s.length() > 60 ? s.substring(0, 57) + "..." : s) + "\"";
  }

  @Override
  public Future<SqlConnection> getConnection() {
    return breaker.callUntimed("borrow a read-pool connection", delegate::getConnection);
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return new GuardedQuery<>(label(sql), delegate.query(sql));
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return new GuardedPreparedQuery<>(label(sql), delegate.preparedQuery(sql));
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return new GuardedPreparedQuery<>(label(sql), delegate.preparedQuery(sql, options));
  }

  @Override
  public <T> Future<T> withTransaction(Function<SqlConnection, Future<T>> function) {
    return breaker.callUntimed("read-pool transaction", () -> delegate.withTransaction(function));
  }

  @Override
  public <T> Future<T> withTransaction(
      TransactionPropagation txPropagation, Function<SqlConnection, Future<T>> function) {
    return breaker.callUntimed(
        "read-pool transaction", () -> delegate.withTransaction(txPropagation, function));
  }

  @Override
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> function) {
    return breaker.callUntimed("read-pool connection", () -> delegate.withConnection(function));
  }

  @Override
  public int size() {
    return delegate.size();
  }

  @Override
  public Future<Void> close() {
    return delegate.close();
  }

  private class GuardedQuery<T> implements Query<T> {
    final String what;
    final Query<T> q;

    GuardedQuery(String what, Query<T> q) {
      this.what = what;
      this.q = q;
    }

    @Override
    public Future<T> execute() {
      return guard(what, q::execute);
    }

    @Override
    public <R> Query<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new GuardedQuery<>(what, q.collecting(collector));
    }

    @Override
    public <U> Query<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new GuardedQuery<>(what, q.mapping(mapper));
    }
  }

  private final class GuardedPreparedQuery<T> implements PreparedQuery<T> {
    final String what;
    final PreparedQuery<T> q;

    GuardedPreparedQuery(String what, PreparedQuery<T> q) {
      this.what = what;
      this.q = q;
    }

    @Override
    public Future<T> execute() {
      return guard(what, q::execute);
    }

    @Override
    public Future<T> execute(Tuple tuple) {
      return guard(what, () -> q.execute(tuple));
    }

    @Override
    public Future<T> executeBatch(List<Tuple> batch) {
      return guard(what, () -> q.executeBatch(batch));
    }

    @Override
    public <R> PreparedQuery<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new GuardedPreparedQuery<>(what, q.collecting(collector));
    }

    @Override
    public <U> PreparedQuery<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new GuardedPreparedQuery<>(what, q.mapping(mapper));
    }
  }
}
