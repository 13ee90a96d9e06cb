using Microsoft.Data.Sqlite;
using Npgsql;

namespace Bazaar.Server.Data;

/// <summary>Database errors that mean something to the caller, told apart on both providers.</summary>
public static class DbErrors
{
    /// <summary>A unique index refused the row: the idempotent "it is already there" answer.</summary>
    public static bool IsUniqueViolation(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is PostgresException pg) return pg.SqlState == PostgresErrorCodes.UniqueViolation;
            if (x is SqliteException s) return s.SqliteErrorCode == 19 && s.SqliteExtendedErrorCode is 2067 or 1555;
        }
        return false;
    }
}
