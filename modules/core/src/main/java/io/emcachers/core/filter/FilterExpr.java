package io.emcachers.core.filter;

import java.util.ArrayList;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * A parsed entity filter ({@link FilterParser}): a MongoDB query document restricted to {@code $eq
 * $ne $gt $gte $lt $lte $in $nin $exists $and $or $not} on dotted paths, evaluated against a full
 * source document with MongoDB's matching rules:
 *
 * <ul>
 *   <li>A path yields every value it reaches: through documents by field name, into arrays by index
 *       ({@code a.0}) and through every document element of an array ({@code items.sku}); a leaf
 *       array yields itself and each of its elements. A branch that ends before the path does is
 *       <i>missing</i>.
 *   <li>A field condition holds when it holds for one of the values ({@code $ne}, {@code $nin} and
 *       {@code $not} negate the whole condition, so {@code {tags: {$ne: "x"}}} means no element is
 *       "x"). {@code null} equals null, undefined and missing.
 *   <li>Comparisons ({@code $gt $gte $lt $lte}) hold only between values of the same type bracket
 *       ({@link BsonCompare}: numbers with numbers whatever their type, strings with strings...);
 *       {@code $gte: null} and {@code $lte: null} match null and missing. NaN equals NaN and is
 *       neither above nor below any number. MinKey and MaxKey compare with everything.
 * </ul>
 *
 * Pure and immutable; one instance serves every document of the entity.
 */
public sealed interface FilterExpr {

  /** Whether {@code doc} (a full source document) matches. */
  boolean matches(BsonDocument doc);

  /** Every document matches (no filter). */
  FilterExpr ALL = new All();

  /** Matches every document. */
  record All() implements FilterExpr {
    @Override
    public boolean matches(BsonDocument doc) {
      return true;
    }
  }

  /** Every part matches (a filter document's fields, {@code $and}). */
  record And(List<FilterExpr> parts) implements FilterExpr {
    public And {
      parts = List.copyOf(parts);
    }

    @Override
    public boolean matches(BsonDocument doc) {
      for (FilterExpr p : parts) {
        if (!p.matches(doc)) {
          return false;
        }
      }
      return true;
    }
  }

  /** One part matches ({@code $or}). */
  record Or(List<FilterExpr> parts) implements FilterExpr {
    public Or {
      parts = List.copyOf(parts);
    }

    @Override
    public boolean matches(BsonDocument doc) {
      for (FilterExpr p : parts) {
        if (p.matches(doc)) {
          return true;
        }
      }
      return false;
    }
  }

  /** The part does not match ({@code $ne}, {@code $nin}, {@code $not}). */
  record Not(FilterExpr part) implements FilterExpr {
    @Override
    public boolean matches(BsonDocument doc) {
      return !part.matches(doc);
    }
  }

  /** The operators a {@link Field} condition applies to one value. */
  enum Op {
    EQ,
    GT,
    GTE,
    LT,
    LTE,
    IN,
    EXISTS
  }

  /**
   * One condition on the values at a dotted {@code path}: {@code operand} is the literal ({@code
   * IN}: a {@link BsonArray} of them; {@code EXISTS}: a boolean).
   */
  record Field(String path, List<String> segments, Op op, BsonValue operand) implements FilterExpr {

    public Field(String path, Op op, BsonValue operand) {
      this(path, List.of(path.split("\\.")), op, operand);
    }

    public Field {
      segments = List.copyOf(segments);
    }

    @Override
    public boolean matches(BsonDocument doc) {
      List<BsonValue> values = new ArrayList<>(2);
      collect(doc, 0, values);
      if (op == Op.EXISTS) {
        boolean exists = false;
        for (BsonValue v : values) {
          exists |= v != null;
        }
        return exists == operand.asBoolean().getValue();
      }
      for (BsonValue v : values) {
        if (op == Op.IN) {
          for (BsonValue candidate : operand.asArray()) {
            if (test(Op.EQ, v, candidate)) {
              return true;
            }
          }
        } else if (test(op, v, operand)) {
          return true;
        }
      }
      return false;
    }

    /** The values the path reaches; null for a branch that is missing. */
    private void collect(BsonValue cur, int i, List<BsonValue> out) {
      if (i == segments.size()) {
        out.add(cur);
        if (cur.isArray()) {
          out.addAll(cur.asArray().getValues());
        }
        return;
      }
      String seg = segments.get(i);
      if (cur.isDocument()) {
        BsonValue next = cur.asDocument().get(seg);
        if (next == null) {
          out.add(null);
        } else {
          collect(next, i + 1, out);
        }
        return;
      }
      if (cur.isArray()) {
        List<BsonValue> items = cur.asArray().getValues();
        boolean reached = false;
        int index = index(seg);
        if (index >= 0 && index < items.size()) {
          collect(items.get(index), i + 1, out);
          reached = true;
        }
        for (BsonValue item : items) {
          if (item.isDocument()) {
            collect(item, i, out);
            reached = true;
          }
        }
        if (!reached) {
          out.add(null);
        }
        return;
      }
      out.add(null);
    }

    private static int index(String seg) {
      if (seg.isEmpty() || seg.length() > 9) {
        return -1;
      }
      for (int k = 0; k < seg.length(); k++) {
        if (!Character.isDigit(seg.charAt(k))) {
          return -1;
        }
      }
      return Integer.parseInt(seg);
    }

    /** One value ({@code null}: missing) against one literal. */
    static boolean test(Op op, BsonValue v, BsonValue literal) {
      boolean literalNull =
          literal.isNull() || literal.getBsonType() == org.bson.BsonType.UNDEFINED;
      if (v == null) {
        return literalNull && (op == Op.EQ || op == Op.GTE || op == Op.LTE);
      }
      boolean anyBracket =
          literal.getBsonType() == org.bson.BsonType.MAX_KEY
              || literal.getBsonType() == org.bson.BsonType.MIN_KEY;
      if (!anyBracket && BsonCompare.bracket(v) != BsonCompare.bracket(literal)) {
        return false;
      }
      if (BsonCompare.isNumber(v) && BsonCompare.isNumber(literal)) {
        boolean nv = BsonCompare.isNaN(v);
        boolean nl = BsonCompare.isNaN(literal);
        if (nv || nl) {
          boolean both = nv && nl;
          return both && (op == Op.EQ || op == Op.GTE || op == Op.LTE);
        }
      }
      int c = BsonCompare.compare(v, literal);
      return switch (op) {
        case EQ -> c == 0;
        case GT -> c > 0;
        case GTE -> c >= 0;
        case LT -> c < 0;
        case LTE -> c <= 0;
        default -> false;
      };
    }
  }
}
