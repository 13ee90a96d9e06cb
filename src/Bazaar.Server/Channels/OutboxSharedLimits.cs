using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;
using NpgsqlTypes;

namespace Bazaar.Server.Channels;

/// <summary>
/// One of the outbox's cluster-wide token buckets (global, broadcast, paid) on PostgreSQL, shared by every instance.
/// On SQLite (one process) the table exists but stays empty: the pacer keeps its buckets in memory.
/// </summary>
public sealed class OutboxRateBucket
{
    public required string Name { get; set; }
    public double Tokens { get; set; }
    /// <summary>When <see cref="Tokens"/> was last refilled (UTC).</summary>
    public DateTime UpdatedAt { get; set; }
    /// <summary>How many tokens the last take got (read back by RETURNING, which sees only the new row).</summary>
    public int Taken { get; set; }
    /// <summary>Until when Telegram asked the whole bot to wait (a 429 not tied to one chat); kept on the global row.</summary>
    public DateTime? PausedUntil { get; set; }
}

internal sealed class OutboxRateBucketMap : IEntityTypeConfiguration<OutboxRateBucket>
{
    public void Configure(EntityTypeBuilder<OutboxRateBucket> b)
    {
        b.ToTable("outbox_rate_buckets");
        b.HasKey(x => x.Name);
        b.Property(x => x.Name).HasMaxLength(16);
    }
}

/// <summary>The SQL of the shared buckets: one statement refills and takes from several buckets at once.</summary>
internal static class OutboxSharedLimits
{
    public sealed record Want(string Name, int Count, double GiveBack, double PerSecond, double Capacity);

    public sealed record Got(string Name, int Taken, double Tokens, DateTime UpdatedAt, DateTime? PausedUntil);

    /// <summary>A chat whose queue head a round picked, and the chat's last sends before it (newest first).</summary>
    public sealed record ChatHead(string Channel, string ChatId, long HeadId);

    public sealed record Taken(List<Got> Buckets, Dictionary<(string Channel, string ChatId), List<DateTime>> RecentSends);

    // The chat's last paced sends, whichever instance made them: walking the (Channel, ChatId, Id) index back from the
    // queue's head meets the finished rows first. A row is recorded sent before another instance may claim the chat's
    // next one (a live claim holds the chat's later rows back), so no send is missing here.
    private static readonly string RecentSendsSql = $"""
        SELECT c.ch, c.chat, s."SentAt"
        FROM unnest(@chs, @chats, @heads) AS c(ch, chat, head)
        CROSS JOIN LATERAL (
            SELECT o."SentAt" FROM outbox AS o
            WHERE o."Channel" = c.ch AND o."ChatId" = c.chat AND o."Id" < c.head AND o."Status" = '{OutboxStatusText.Sent}'
              AND NOT o."Urgent" AND o."SentAt" IS NOT NULL
            ORDER BY o."Id" DESC LIMIT @k) AS s
        """;

    private const string Level = """
        LEAST(x.cap, b."Tokens" + x.back + GREATEST(0, EXTRACT(EPOCH FROM (@now - b."UpdatedAt"))::float8) * x.rate)
        """;

    // Rows are locked in name order by the inner SELECT ... FOR UPDATE before any is changed, so two instances taking
    // from the same buckets queue behind each other instead of deadlocking. Under READ COMMITTED the SET expressions see
    // the latest committed row (the one whose lock was waited for), so no take is lost. A paused bot gets nothing.
    private static readonly string TakeSql = $"""
        UPDATE outbox_rate_buckets AS b SET
            "Taken" = CASE WHEN b."PausedUntil" > @now THEN 0 ELSE LEAST(x.want, FLOOR({Level}))::int END,
            "Tokens" = {Level} - CASE WHEN b."PausedUntil" > @now THEN 0 ELSE LEAST(x.want, FLOOR({Level})) END,
            "UpdatedAt" = GREATEST(b."UpdatedAt", @now)
        FROM (
            SELECT l."Name", r.want, r.back, r.rate, r.cap
            FROM (SELECT "Name" FROM outbox_rate_buckets WHERE "Name" = ANY(@names) ORDER BY "Name" FOR UPDATE) AS l
            JOIN unnest(@names, @wants, @backs, @rates, @caps) AS r(name, want, back, rate, cap) ON r.name = l."Name"
        ) AS x
        WHERE b."Name" = x."Name"
        RETURNING b."Name", b."Taken", b."Tokens", b."UpdatedAt", b."PausedUntil"
        """;

    /// <summary>
    /// Refills each bucket to <paramref name="now"/>, adds back unused tokens, and takes up to the wanted count; in the
    /// same round trip, reads the picked chats' last <paramref name="perChat"/> sends.
    /// </summary>
    public static async Task<Taken> TakeAsync(BazaarDb db, IReadOnlyList<Want> wants, IReadOnlyList<ChatHead> chats, int perChat,
        DateTime now, CancellationToken ct)
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var batch = new NpgsqlBatch(conn);
            var cmd = new NpgsqlBatchCommand(TakeSql);
            batch.BatchCommands.Add(cmd);
            cmd.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now });
            cmd.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = wants.Select(w => w.Name).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("wants", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = wants.Select(w => w.Count).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("backs", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = wants.Select(w => w.GiveBack).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("rates", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = wants.Select(w => w.PerSecond).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter("caps", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = wants.Select(w => w.Capacity).ToArray() });
            var recent = new NpgsqlBatchCommand(RecentSendsSql);
            recent.Parameters.Add(new NpgsqlParameter("chs", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = chats.Select(c => c.Channel).ToArray() });
            recent.Parameters.Add(new NpgsqlParameter("chats", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = chats.Select(c => c.ChatId).ToArray() });
            recent.Parameters.Add(new NpgsqlParameter("heads", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = chats.Select(c => c.HeadId).ToArray() });
            recent.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Integer) { Value = perChat });
            batch.BatchCommands.Add(recent);
            var got = new List<Got>();
            var sends = new Dictionary<(string, string), List<DateTime>>();
            await using var reader = await batch.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                got.Add(new Got(reader.GetString(0), reader.GetInt32(1), reader.GetDouble(2),
                    DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc),
                    reader.IsDBNull(4) ? null : DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc)));
            }
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (!sends.TryGetValue(key, out var list)) sends[key] = list = [];
                list.Add(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc));
            }
            return new Taken(got, sends);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Creates the rows once (empty, refilled to capacity by the first take).</summary>
    public static Task EnsureRowsAsync(BazaarDb db, IEnumerable<string> names, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO outbox_rate_buckets ("Name", "Tokens", "UpdatedAt", "Taken")
            SELECT n, 0, {DateTime.UnixEpoch}, 0 FROM unnest({names.ToArray()}) AS n
            ON CONFLICT ("Name") DO NOTHING
            """, ct);

    /// <summary>Pauses every instance's sending until <paramref name="until"/> (never shortens a longer pause).</summary>
    public static Task PauseAsync(BazaarDb db, string name, DateTime until, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE outbox_rate_buckets SET "PausedUntil" = GREATEST(COALESCE("PausedUntil", {until}), {until}) WHERE "Name" = {name}
            """, ct);
}
