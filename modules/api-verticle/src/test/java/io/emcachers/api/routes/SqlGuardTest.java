package io.emcachers.api.routes;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SqlGuardTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SELECT * FROM demo_users",
        "select name, age from demo_users where age > ? order by age limit 10",
        "SELECT 1;",
        "  -- a comment\n SELECT 1 /* inline; comment */ ;  ",
        "WITH adults AS (SELECT * FROM demo_users WHERE age >= 18) SELECT count(*) FROM adults",
        "SELECT replace(name, 'a', 'b') FROM demo_users",
        "SELECT 'insert; delete; drop' AS text",
        "SELECT \"update\" FROM demo_users",
        "SELECT t.delete FROM demo_users t",
        "SELECT * FROM pragma_table_info('demo_users')",
        "SELECT json_extract(tags, '$[0]') FROM demo_users",
        "SELECT CASE WHEN active THEN 'y' ELSE 'n' END FROM demo_users"
      })
  void acceptsOneReadOnlySelect(String sql) {
    assertNull(SqlGuard.reject(sql), sql);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "INSERT INTO demo_users(_doc_id) VALUES ('x')",
        "insert into demo_users(_doc_id) values ('x')",
        "UPDATE demo_users SET name = 'x'",
        "DELETE FROM demo_users",
        "REPLACE INTO demo_users(_doc_id) VALUES ('x')",
        "ATTACH DATABASE '/tmp/evil.db' AS evil",
        "DETACH DATABASE main",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA query_only = 0",
        "CREATE TABLE x(a)",
        "DROP TABLE demo_users",
        "VACUUM",
        "BEGIN",
        "SELECT 1; SELECT 2",
        "SELECT 1; DELETE FROM demo_users",
        "SELECT 1;;",
        "SELECT 1 -- ok\n; DROP TABLE demo_users",
        "WITH x AS (SELECT 1) DELETE FROM demo_users",
        "WITH x AS (SELECT 1) INSERT INTO demo_users SELECT * FROM x",
        "SELECT load_extension('evil')",
        "SELECT 'unterminated",
        "SELECT /* unterminated",
        "",
        "   ",
        "-- only a comment"
      })
  void refusesAnythingElse(String sql) {
    assertNotNull(SqlGuard.reject(sql), sql);
  }
}
