package io.loyalty.gateway.store;

import io.vertx.sqlclient.Tuple;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;

/**
 * Column-wise arrays for one unnest statement, each typed as its SQL parameter. Rows are kept as given and turned
 * into columns once, at their final size, when the statement is sent.
 */
public final class Columns {
  private final Class<?>[] types;
  private final List<Object[]> rows = new ArrayList<>();

  public Columns(Class<?>... types) {
    this.types = types;
  }

  public void add(Object... row) {
    if (row.length != types.length) {
      throw new IllegalArgumentException(row.length + " values for " + types.length + " columns");
    }
    rows.add(row);
  }

  public Tuple tuple() {
    Tuple tuple = Tuple.tuple();
    for (int i = 0; i < types.length; i++) {
      Object[] column = (Object[]) Array.newInstance(types[i], rows.size());
      for (int r = 0; r < column.length; r++) {
        column[r] = rows.get(r)[i];
      }
      tuple.addValue(column);
    }
    return tuple;
  }
}
