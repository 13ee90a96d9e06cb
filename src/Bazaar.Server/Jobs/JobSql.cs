using System.Data.Common;
using Bazaar.Server.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Bazaar.Server.Jobs;

/// <summary>The claim statements, which LINQ cannot express (SKIP LOCKED, RETURNING), for each provider.</summary>
internal static class JobSql
{
    public const int MaxErrorLength = 2000;

    public static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];

    /// <summary>
    /// Claims the best due job among <paramref name="types"/> for <paramref name="owner"/>, or returns null.
    /// With a limit, the job is claimed only while fewer than MaxConcurrent jobs of the (single) type hold a live
    /// lease and none started within MinIntervalSeconds; the check and the claim are one atomic step: one
    /// statement on SQLite (writers are serialized), and under a per-type advisory lock on PostgreSQL.
    /// </summary>
    public static async Task<Job?> ClaimAsync(BazaarDb db, IReadOnlyList<string> types, JobTypeOptions limit,
        string owner, DateTime now, DateTime leaseUntil, CancellationToken ct)
    {
        var limited = limit.IsLimited;
        if (limited && types.Count != 1) throw new ArgumentException("A limited claim is for one type.", nameof(types));
        var cutoff = now - TimeSpan.FromSeconds(limit.MinIntervalSeconds);

        if (db.IsPostgres)
        {
            var ps = new List<DbParameter>
            {
                new NpgsqlParameter("now", now), new NpgsqlParameter("lease", leaseUntil),
                new NpgsqlParameter("owner", owner), new NpgsqlParameter("types", types.ToArray()),
                new NpgsqlParameter("max", limit.MaxConcurrent), new NpgsqlParameter("cutoff", cutoff),
            };
            var sql = $"""
                WITH next AS (
                    SELECT "Id" FROM jobs
                    WHERE "Status" = '{JobStatusText.Queued}' AND "RunAt" <= @now AND "Type" = ANY(@types) {LimitSql(limit, "ANY(@types)")}
                    ORDER BY "Priority" DESC, "RunAt", "Id"
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED)
                UPDATE jobs AS j SET "Status" = '{JobStatusText.Processing}', "Attempts" = j."Attempts" + 1,
                    "LeaseOwner" = @owner, "LeaseExpiresAt" = @lease, "StartedAt" = @now
                FROM next WHERE j."Id" = next."Id" AND j."Status" = '{JobStatusText.Queued}'
                RETURNING j.*
                """;
            if (!limited) return (await db.Jobs.FromSqlRaw(sql, ps.ToArray()).AsNoTracking().ToListAsync(ct)).SingleOrDefault();

            // Under READ COMMITTED two claimers would both see a free slot; the lock makes them take turns.
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(@key)",
                [new NpgsqlParameter("key", LockKey(types[0]))], ct);
            var claimed = (await db.Jobs.FromSqlRaw(sql, ps.ToArray()).AsNoTracking().ToListAsync(ct)).SingleOrDefault();
            await tx.CommitAsync(ct);
            return claimed;
        }
        else
        {
            var ps = new List<DbParameter>
            {
                new SqliteParameter("@now", now), new SqliteParameter("@lease", leaseUntil),
                new SqliteParameter("@owner", owner), new SqliteParameter("@max", limit.MaxConcurrent),
                new SqliteParameter("@cutoff", cutoff),
            };
            var names = new List<string>();
            for (var i = 0; i < types.Count; i++)
            {
                names.Add("@t" + i);
                ps.Add(new SqliteParameter("@t" + i, types[i]));
            }
            var inList = "IN (" + string.Join(", ", names) + ")";
            // Without statistics SQLite may pick the (type, status) index and sort every queued job; the
            // claim index yields the best due job first.
            var sql = $"""
                UPDATE jobs SET "Status" = '{JobStatusText.Processing}', "Attempts" = "Attempts" + 1,
                    "LeaseOwner" = @owner, "LeaseExpiresAt" = @lease, "StartedAt" = @now
                WHERE "Id" = (
                    SELECT "Id" FROM jobs INDEXED BY {(types.Count == 1 ? "\"IX_jobs_type_claim\"" : "\"IX_jobs_claim\"")}
                    WHERE "Status" = '{JobStatusText.Queued}' AND "RunAt" <= @now AND "Type" {inList} {LimitSql(limit, inList)}
                    ORDER BY "Priority" DESC, "RunAt", "Id"
                    LIMIT 1)
                  AND "Status" = '{JobStatusText.Queued}'
                RETURNING *
                """;
            return (await db.Jobs.FromSqlRaw(sql, ps.ToArray()).AsNoTracking().ToListAsync(ct)).SingleOrDefault();
        }
    }

    private static string LimitSql(JobTypeOptions limit, string typeMatch)
    {
        var sql = "";
        if (limit.MaxConcurrent > 0)
        {
            sql += $"""
                 AND (SELECT count(*) FROM jobs p WHERE p."Type" {(typeMatch.StartsWith("ANY") ? "= " + typeMatch : typeMatch)}
                      AND p."Status" = '{JobStatusText.Processing}' AND p."LeaseExpiresAt" > @now) < @max
                """;
        }
        if (limit.MinIntervalSeconds > 0)
        {
            sql += $"""
                 AND NOT EXISTS (SELECT 1 FROM jobs p WHERE p."Type" {(typeMatch.StartsWith("ANY") ? "= " + typeMatch : typeMatch)}
                      AND p."StartedAt" > @cutoff)
                """;
        }
        return sql;
    }

    /// <summary>A stable 64-bit advisory lock key per job type.</summary>
    public static long LockKey(string type) => SessionLock.Key("bazaar.jobs:" + type);
}
