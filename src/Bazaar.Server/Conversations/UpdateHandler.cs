using System.Data.Common;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Operations;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Bazaar.Server.Conversations;

/// <summary>An update to handle: its inbox row and, when the channel has just parsed it, the parsed value.</summary>
public sealed record PendingUpdate(long Id, string Channel, string BotId, long UpdateId, Update? Update, UpdateInfo? Info, string Payload,
    DateTime? ReceivedAt = null);

/// <summary>How an update ended.</summary>
/// <param name="Kind">What the update was (message, callback_query, ...), for the metrics.</param>
/// <param name="HandlerSeconds">Time in the pipeline, for the metrics.</param>
/// <param name="ReceivedAt">When the update was stored, for the received → handled latency.</param>
public sealed record UpdateOutcome(long Id, UpdateStatus Status, int Ms, string? Error, string Kind = "unknown", double HandlerSeconds = 0,
    DateTime? ReceivedAt = null);

/// <summary>
/// Runs updates through the pipeline inside a transaction the caller holds (the inbox writer's, right after
/// it stored them, or the processor's for a claimed backlog): a savepoint each, so a handler that throws
/// leaves nothing behind, and the final statuses written in the same transaction.
/// </summary>
public sealed class UpdateHandler(BotPipeline pipeline, IOptions<ConversationOptions> options, TimeProvider clock, BazaarMetrics metrics,
    ILogger<UpdateHandler> log)
{
    /// <summary>
    /// Handles <paramref name="items"/> in order until <paramref name="stop"/> says to commit early; returns the outcomes
    /// (at least one when there is any item).
    /// </summary>
    public async Task<List<UpdateOutcome>> HandleAsync(IServiceProvider services, BazaarDb db, DbTransaction tx, IReadOnlyList<PendingUpdate> items,
        Func<bool>? stop, CancellationToken ct)
    {
        var outcomes = new List<UpdateOutcome>(items.Count);
        var outbox = services.GetRequiredService<Outbox>();
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0 && stop?.Invoke() == true) break;
            outcomes.Add(await HandleOneAsync(services, db, outbox, tx, items[i], releasePrevious: i > 0, ct));
        }
        // Counted once the caller's transaction commits; a batch rolled back as a whole is counted when it is handled again.
        if (outcomes.Count > 0) AfterCommit.Run(db, () => Count(outcomes));
        return outcomes;
    }

    private void Count(List<UpdateOutcome> outcomes)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var o in outcomes)
        {
            metrics.UpdateFinished(o.Kind, UpdateStatusText.Of(o.Status));
            if (o.Status != UpdateStatus.Ignored)
                metrics.UpdateHandled(o.Kind, o.HandlerSeconds, o.ReceivedAt is { } at ? (now - at).TotalSeconds : -1);
        }
    }

    private async Task<UpdateOutcome> HandleOneAsync(IServiceProvider services, BazaarDb db, Outbox outbox, DbTransaction tx, PendingUpdate c,
        bool releasePrevious, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        db.ChangeTracker.Clear();
        // The previous update's savepoint is released together with this one's creation: one round trip.
        await db.HotCommand(releasePrevious ? "RELEASE SAVEPOINT u; SAVEPOINT u" : "SAVEPOINT u").ExecuteNonQueryAsync(ct);
        var update = c.Update;
        if (update is null)
        {
            try { update = JsonSerializer.Deserialize<Update>(c.Payload, JsonBotAPI.Options); }
            catch (JsonException ex) { return new UpdateOutcome(c.Id, UpdateStatus.Failed, 0, "Unreadable payload: " + ex.Message, ReceivedAt: c.ReceivedAt); }
            if (update is null) return new UpdateOutcome(c.Id, UpdateStatus.Failed, 0, "Empty payload", ReceivedAt: c.ReceivedAt);
        }
        var info = c.Info ?? UpdateInfo.Of(update);
        if (!info.Handled) return new UpdateOutcome(c.Id, UpdateStatus.Ignored, 0, info.Problem, info.Kind);
        // Every line logged while this update is handled (pipeline, features, EF) carries its ids.
        using var logScope = log.BeginScope(new UpdateLogScope(c.Id, c.Channel, c.UpdateId, info.UserId, info.ChatId));
        // A span per update when tracing is on (null, and free, when it is off).
        using var span = Tracing.Source.StartActivity("bazaar.update");
        span?.SetTag("bazaar.update.id", c.Id).SetTag("bazaar.channel", c.Channel).SetTag("bazaar.update.update_id", c.UpdateId)
            .SetTag("bazaar.update.kind", info.Kind).SetTag("bazaar.update.command", info.Command);

        try
        {
            outbox.CurrentInboundUpdateId = c.Id;
            var ctx = new BotContext(c.Channel, c.Id, update, info, db, outbox, services, clock, options.Value, ct);
            await pipeline.RunAsync(ctx);
            if (!await outbox.TrySaveRepliesOnlyAsync(ct)) await db.SaveChangesAsync(ct);
            span?.SetTag("bazaar.update.status", UpdateStatusText.Of(ctx.Status));
            return new UpdateOutcome(c.Id, ctx.Status, ElapsedMs(started), null, info.Kind, clock.GetElapsedTime(started).TotalSeconds, c.ReceivedAt);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name).SetTag("bazaar.update.status", UpdateStatusText.Failed);
            await db.HotCommand("ROLLBACK TO SAVEPOINT u").ExecuteNonQueryAsync(ct);
            db.ChangeTracker.Clear();
            log.LogWarning(ex, "Update {Id} ({Channel} {UpdateId}) failed", c.Id, c.Channel, c.UpdateId);
            return new UpdateOutcome(c.Id, UpdateStatus.Failed, ElapsedMs(started), Truncate(ex.ToString(), 2000), info.Kind,
                clock.GetElapsedTime(started).TotalSeconds, c.ReceivedAt);
        }
    }

    private int ElapsedMs(long started) => (int)clock.GetElapsedTime(started).TotalMilliseconds;

    internal static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    internal static async Task ExecuteAsync(DbTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The final status of each update, in the caller's transaction (one statement on PostgreSQL). <paramref name="attempt"/>
    /// is 1 when the updates were not claimed first (the claim counts the attempt otherwise).
    /// </summary>
    public async Task SetStatusesAsync(DbTransaction tx, bool postgres, IReadOnlyList<UpdateOutcome> outcomes, int attempt, CancellationToken ct)
    {
        if (outcomes.Count == 0) return;
        await using var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        SqlParams.Add(cmd, "@at", clock.GetUtcNow().UtcDateTime);
        SqlParams.Add(cmd, "@a", attempt);
        if (postgres)
        {
            cmd.CommandText = """
                UPDATE inbound_updates AS u SET "Status" = t.s, "HandlerMs" = t.ms, "Error" = t.e, "ProcessedAt" = @at,
                  "Attempts" = u."Attempts" + @a, "LeaseUntil" = NULL
                FROM unnest(@ids, @s, @ms, @e) AS t(id, s, ms, e) WHERE u."Id" = t.id
                """;
            SqlParams.Add(cmd, "@ids", outcomes.Select(o => o.Id).ToArray());
            SqlParams.Add(cmd, "@s", outcomes.Select(o => UpdateStatusText.Of(o.Status)).ToArray());
            SqlParams.Add(cmd, "@ms", outcomes.Select(o => o.Ms).ToArray());
            SqlParams.Add(cmd, "@e", outcomes.Select(o => o.Error).ToArray());
            await cmd.ExecuteNonQueryAsync(ct);
            return;
        }
        cmd.CommandText = """
            UPDATE inbound_updates SET "Status" = @s, "HandlerMs" = @ms, "Error" = @e, "ProcessedAt" = @at, "Attempts" = "Attempts" + @a,
              "LeaseUntil" = NULL
            WHERE "Id" = @id
            """;
        SqlParams.Add(cmd, "@s", null);
        SqlParams.Add(cmd, "@ms", null);
        SqlParams.Add(cmd, "@e", null);
        SqlParams.Add(cmd, "@id", null);
        foreach (var o in outcomes)
        {
            cmd.Parameters["@s"].Value = UpdateStatusText.Of(o.Status);
            cmd.Parameters["@ms"].Value = o.Ms;
            cmd.Parameters["@e"].Value = (object?)o.Error ?? DBNull.Value;
            cmd.Parameters["@id"].Value = o.Id;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}

/// <summary>The structured scope of one update's handling: InboundId, Channel, UpdateId, UserId, ChatId.</summary>
internal sealed class UpdateLogScope(long inboundId, string channel, long updateId, string? userId, string? chatId)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 5;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("InboundId", inboundId),
        1 => new("Channel", channel),
        2 => new("UpdateId", updateId),
        3 => new("UserId", userId),
        4 => new("ChatId", chatId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{channel} update {updateId} (#{inboundId}) user {userId} chat {chatId}";
}

/// <summary>Parameters for the hand-written SQL on the hot paths.</summary>
internal static class SqlParams
{
    public static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }
}
