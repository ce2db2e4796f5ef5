package io.loyalty.gateway.store;

import io.vertx.sqlclient.Tuple;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;

/** Column-wise arrays for one unnest statement, each typed as its SQL parameter. */
public final class Columns {
  private final Class<?>[] types;
  private final List<List<Object>> columns = new ArrayList<>();

  public Columns(Class<?>... types) {
    this.types = types;
    for (int i = 0; i < types.length; i++) {
      columns.add(new ArrayList<>());
    }
  }

  public void add(Object... row) {
    for (int i = 0; i < row.length; i++) {
      columns.get(i).add(row[i]);
    }
  }

  public Tuple tuple() {
    Tuple tuple = Tuple.tuple();
    for (int i = 0; i < types.length; i++) {
      List<Object> column = columns.get(i);
      tuple.addValue(column.toArray((Object[]) Array.newInstance(types[i], column.size())));
    }
    return tuple;
  }
}
