using System.Globalization;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Referrals;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Broadcasts;

public enum BroadcastChange { Done, NotFound, WrongStatus }

/// <summary>Where a broadcast stands: recipients per state, and the time left at its rate.</summary>
public sealed record BroadcastProgress(int Total, int Sent, int Failed, int Blocked, int Cancelled, int Pending, int Queued, double Rate)
{
    public int Remaining => Pending + Queued;
    public TimeSpan? Eta => Remaining == 0 ? null : TimeSpan.FromSeconds(Math.Ceiling(Remaining / Math.Max(1, Rate)));
}

/// <summary>
/// Broadcasts: composing, starting, pausing, resuming, cancelling, and the paced run. A running broadcast is a chain of
/// <c>broadcasts.run</c> jobs, one per tick: each reconciles what the outbox did, hands the next share of recipients to the
/// outbox (claimed and enqueued in one transaction), edits the admin's progress message, and queues the next tick.
/// </summary>
public sealed class BroadcastService(BazaarDb db, Outbox outbox, JobQueue jobs, WriteGate gate, ReferralTiers tiers, TimeProvider clock,
    IOptions<BroadcastOptions> options, IOptions<OutboxOptions> outboxOptions, ILogger<BroadcastService> log)
{
    public const string JobType = "broadcasts.run";
    public sealed record TickPayload(long BroadcastId, int Tick);

    private BroadcastOptions O => options.Value;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Messages a second for the broadcast: the outbox's broadcast lane, or its paid lane.</summary>
    public double RateOf(Broadcast b) => b.AllowPaidBroadcast
        ? Math.Min(1000, outboxOptions.Value.PaidBroadcastPerSecond)
        : Math.Min(outboxOptions.Value.BroadcastPerSecond, outboxOptions.Value.GlobalPerSecond);

    public async Task<int> CountAsync(Segments.Spec segment, CancellationToken ct) =>
        await (await Segments.UsersAsync(db, segment, tiers, ct)).CountAsync(ct);

    /// <summary>Adds a draft (not saved: the caller saves it with the rest of its unit of work).</summary>
    public Broadcast Draft(string text, string? photo, IReadOnlyList<IReadOnlyList<BroadcastButton>>? buttons, Segments.Spec segment,
        bool allowPaid, string createdBy, long? adminUserId)
    {
        var b = new Broadcast
        {
            Text = text, Photo = string.IsNullOrWhiteSpace(photo) ? null : photo.Trim(), Buttons = BroadcastContent.ButtonsJson(buttons),
            Segment = segment.Kind, SegmentValue = segment.Value, AllowPaidBroadcast = allowPaid, CreatedBy = createdBy,
            AdminUserId = adminUserId, CreatedAt = Now,
        };
        db.Broadcasts.Add(b);
        return b;
    }

    /// <summary>The test copy to the admin, which goes before any recipient's.</summary>
    public async Task SendTestAsync(Broadcast b, CancellationToken ct)
    {
        if (await AdminChatAsync(b, ct) is { } to) BroadcastContent.Enqueue(outbox, b, to, test: true);
    }

    /// <summary>
    /// Draft → Running inside the caller's transaction (the bot's update, the API's request): the admin's progress message
    /// and the first tick job commit with it. Recipients are chosen by the first tick, so starting is quick whatever the
    /// segment's size.
    /// </summary>
    /// <param name="progressMessageId">A message of the admin's chat to turn into the progress message (the bot's confirmation); else one is sent.</param>
    public async Task StartAsync(Broadcast b, CancellationToken ct, int? progressMessageId = null)
    {
        if (b.Id == 0) await db.SaveChangesAsync(ct);
        b.Status = BroadcastStatus.Running;
        b.StartedAt = Now;
        b.Tick = 1;
        OutboxMessage? progress = null;
        if (await AdminChatAsync(b, ct) is { } to)
        {
            var language = await LanguageOfAdminAsync(b, ct);
            if (progressMessageId is { } mid)
            {
                outbox.EditText(to, mid, ProgressText(b, null, language), ProgressKeyboard(b, language));
                b.ProgressMessageId = mid;
                b.ProgressAt = Now;
            }
            else progress = outbox.SendText(to, ProgressText(b, null, language), ProgressKeyboard(b, language));
        }
        jobs.Enqueue(JobType, new TickPayload(b.Id, b.Tick), new EnqueueOptions { IdempotencyKey = $"broadcast:{b.Id}:{b.Tick}" });
        await db.SaveChangesAsync(ct);
        if (progress is null) return;
        b.ProgressOutboxId = progress.Id;
        await db.SaveChangesAsync(ct);
    }

    public Task<BroadcastChange> PauseAsync(long id, CancellationToken ct) =>
        ChangeAsync(id, [BroadcastStatus.Running], BroadcastStatus.Paused, RecipientState.Pending, ct);

    public Task<BroadcastChange> CancelAsync(long id, CancellationToken ct) =>
        ChangeAsync(id, [BroadcastStatus.Draft, BroadcastStatus.Running, BroadcastStatus.Paused], BroadcastStatus.Cancelled, RecipientState.Cancelled, ct);

    /// <summary>Paused → Running with a fresh tick chain (the paused chain's job, if still queued, finds itself stale).</summary>
    public async Task<BroadcastChange> ResumeAsync(long id, CancellationToken ct) =>
        await InTransactionAsync(async () =>
        {
            var b = await db.Broadcasts.FirstOrDefaultAsync(x => x.Id == id, ct);
            if (b is null) return BroadcastChange.NotFound;
            var tick = b.Tick + 1;
            var n = await db.Broadcasts.Where(x => x.Id == id && x.Status == BroadcastStatus.Paused)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, BroadcastStatus.Running).SetProperty(x => x.Tick, tick), ct);
            if (n == 0) return BroadcastChange.WrongStatus;
            jobs.Enqueue(JobType, new TickPayload(id, tick), new EnqueueOptions { IdempotencyKey = $"broadcast:{id}:{tick}" });
            b.Status = BroadcastStatus.Running;
            b.Tick = tick;
            await EditProgressAsync(b, await ProgressAsync(b, ct), ct);
            await db.SaveChangesAsync(ct);
            return BroadcastChange.Done;
        }, ct);

    /// <summary>
    /// Pause or cancel: the status changes, and messages handed to the outbox but not yet picked up by the sender are taken
    /// back (their recipients return to Pending on pause, or end Cancelled), so neither goes on sending for long.
    /// </summary>
    private async Task<BroadcastChange> ChangeAsync(long id, BroadcastStatus[] from, BroadcastStatus to, RecipientState unsent, CancellationToken ct) =>
        await InTransactionAsync(async () =>
        {
            var now = Now;
            var changing = db.Broadcasts.Where(x => x.Id == id && from.Contains(x.Status));
            var n = to == BroadcastStatus.Cancelled
                ? await changing.ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, to).SetProperty(x => x.FinishedAt, now), ct)
                : await changing.ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, to), ct);
            if (n == 0) return await db.Broadcasts.AnyAsync(x => x.Id == id, ct) ? BroadcastChange.WrongStatus : BroadcastChange.NotFound;
            await ReconcileAsync(id, ct);
            var queued = db.BroadcastRecipients.Where(r => r.BroadcastId == id && r.State == RecipientState.Queued);
            await db.Outbox.Where(o => o.Status == OutboxStatus.Pending && queued.Any(r => r.OutboxMessageId == o.Id)).ExecuteDeleteAsync(ct);
            await queued.Where(r => !db.Outbox.Any(o => o.Id == r.OutboxMessageId))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, unsent).SetProperty(r => r.OutboxMessageId, (long?)null)
                    .SetProperty(r => r.QueuedAt, (DateTime?)null), ct);
            if (unsent == RecipientState.Cancelled)
                await db.BroadcastRecipients.Where(r => r.BroadcastId == id && r.State == RecipientState.Pending)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RecipientState.Cancelled).SetProperty(r => r.FinishedAt, now), ct);
            var b = await db.Broadcasts.FirstAsync(x => x.Id == id, ct);
            await db.Entry(b).ReloadAsync(ct); // the caller may hold it from before the update
            await EditProgressAsync(b, await ProgressAsync(b, ct), ct);
            await db.SaveChangesAsync(ct);
            return BroadcastChange.Done;
        }, ct);

    public async Task<BroadcastProgress> ProgressAsync(Broadcast b, CancellationToken ct)
    {
        var counts = await db.BroadcastRecipients.Where(r => r.BroadcastId == b.Id).GroupBy(r => r.State)
            .Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N, ct);
        int C(RecipientState s) => counts.GetValueOrDefault(s);
        return new BroadcastProgress(b.Total ?? 0, C(RecipientState.Sent), C(RecipientState.Failed), C(RecipientState.Blocked),
            C(RecipientState.Cancelled), C(RecipientState.Pending), C(RecipientState.Queued), RateOf(b));
    }

    /// <summary>One tick of a running broadcast (the job). An old job of a chain that was replaced does nothing.</summary>
    public async Task TickAsync(TickPayload job, CancellationToken ct)
    {
        var b = await db.Broadcasts.AsNoTracking().FirstOrDefaultAsync(x => x.Id == job.BroadcastId, ct);
        if (b is null || b.Tick != job.Tick || b.Status != BroadcastStatus.Running) return;
        if (b.Total is null && !await ChooseRecipientsAsync(b, ct)) return;
        await ReconcileAsync(b.Id, ct);

        var rate = RateOf(b);
        var now = Now;
        var since = b.FedAt is { } fed ? (now - fed).TotalSeconds : O.TickSeconds;
        var budget = (int)Math.Floor(Math.Min(rate * since, rate * O.TickSeconds * 2));
        var queued = await db.BroadcastRecipients.CountAsync(r => r.BroadcastId == b.Id && r.State == RecipientState.Queued, ct);
        budget = Math.Min(budget, (int)Math.Min(Math.Ceiling(rate * O.MaxQueuedSeconds), Math.Max(1, O.MaxQueued)) - queued);
        while (budget > 0)
        {
            var n = await HandOverAsync(b, job.Tick, Math.Min(budget, Math.Max(1, O.BatchSize)), ct);
            if (n < 0) return; // paused or cancelled meanwhile
            if (n == 0) break;
            budget -= n;
        }
        await NextTickAsync(b.Id, job.Tick, ct);
    }

    /// <summary>The segment's snapshot: one Pending row per recipient, all in one transaction, before anything is sent.</summary>
    private async Task<bool> ChooseRecipientsAsync(Broadcast b, CancellationToken ct)
    {
        var users = await Segments.UsersAsync(db, new Segments.Spec(b.Segment, b.SegmentValue), tiers, ct);
        return await InTransactionAsync(async () =>
        {
            var n = await db.Broadcasts.Where(x => x.Id == b.Id && x.Total == null && x.Status == BroadcastStatus.Running && x.Tick == b.Tick)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Total, 0), ct);
            if (n == 0) return false;
            var total = 0;
            var after = 0L;
            while (true)
            {
                var page = await users.Where(u => u.Id > after).OrderBy(u => u.Id).Take(5000)
                    .Select(u => new { u.Id, u.Channel, u.ExternalId }).ToListAsync(ct);
                if (page.Count == 0) break;
                await InsertRecipientsAsync(b.Id, page.Select(u => (u.Id, u.Channel, u.ExternalId)).ToList(), ct);
                total += page.Count;
                after = page[^1].Id;
            }
            await db.Broadcasts.Where(x => x.Id == b.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Total, total), ct);
            b.Total = total;
            log.LogInformation("Broadcast {Id}: {Total} recipient(s) in segment {Segment}", b.Id, total, b.Segment);
            return true;
        }, ct);
    }

    /// <summary>Moves Queued recipients to what the outbox made of their message.</summary>
    public async Task ReconcileAsync(long id, CancellationToken ct)
    {
        var now = Now;
        var queued = db.BroadcastRecipients.Where(r => r.BroadcastId == id && r.State == RecipientState.Queued);
        using (await gate.EnterAsync(ct))
        {
            await queued.Where(r => db.Outbox.Any(o => o.Id == r.OutboxMessageId && o.Status == OutboxStatus.Sent))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RecipientState.Sent).SetProperty(r => r.FinishedAt, now), ct);
            await queued.Where(r => db.Outbox.Any(o => o.Id == r.OutboxMessageId && o.Status == OutboxStatus.Dropped))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RecipientState.Blocked).SetProperty(r => r.FinishedAt, now), ct);
            await queued.Where(r => db.Outbox.Any(o => o.Id == r.OutboxMessageId && (o.Status == OutboxStatus.Failed || o.Status == OutboxStatus.Expired)))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RecipientState.Failed).SetProperty(r => r.FinishedAt, now), ct);
        }
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> Pending recipients and enqueues their messages in the same transaction. The
    /// conditional update of the broadcast row comes first: it fails when the broadcast was paused, cancelled or moved to
    /// another chain, and on PostgreSQL it locks the row, so claims and pauses of one broadcast take turns.
    /// Returns how many were handed over, or −1 when the broadcast no longer runs this chain.
    /// </summary>
    private async Task<int> HandOverAsync(Broadcast b, int tick, int max, CancellationToken ct) =>
        await InTransactionAsync(async () =>
        {
            var now = Now;
            var running = await db.Broadcasts.Where(x => x.Id == b.Id && x.Status == BroadcastStatus.Running && x.Tick == tick)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.FedAt, now), ct);
            if (running == 0) return -1;
            var batch = await db.BroadcastRecipients.AsNoTracking().Where(r => r.BroadcastId == b.Id && r.State == RecipientState.Pending)
                .OrderBy(r => r.UserId).Take(max).ToListAsync(ct);
            if (batch.Count == 0) return 0;
            var messages = batch.Select(r => BroadcastContent.Enqueue(outbox, b, new ChatTarget(r.Channel, r.ChatId, r.UserId))).ToList();
            // Nothing but the new outbox rows is tracked: one INSERT from arrays on PostgreSQL, a prepared INSERT each on SQLite.
            if (!await outbox.TrySaveRepliesOnlyAsync(ct)) await db.SaveChangesAsync(ct);
            await MarkQueuedAsync(b.Id, batch.Zip(messages, (r, m) => (r.UserId, r.Channel, m.Id)).ToList(), now, ct);
            return batch.Count;
        }, ct);

    private static readonly string Pending = nameof(RecipientState.Pending);
    private static readonly string Queued = nameof(RecipientState.Queued);
    private static readonly string SentState = nameof(RecipientState.Sent);

    /// <summary>
    /// The segment's recipients, Pending, in the open transaction: one statement per page on PostgreSQL, one prepared
    /// INSERT per row on SQLite (in-process, so a statement costs microseconds); not SaveChanges, whose change tracking
    /// cost more than the writes for a large broadcast.
    /// </summary>
    private async Task InsertRecipientsAsync(long broadcastId, List<(long UserId, string Channel, string ChatId)> page, CancellationToken ct)
    {
        if (db.IsPostgres)
        {
            var users = page.Select(p => p.UserId).ToArray();
            var channels = page.Select(p => p.Channel).ToArray();
            var chats = page.Select(p => p.ChatId).ToArray();
            await db.Database.ExecuteSqlInterpolatedAsync($$"""
                INSERT INTO broadcast_recipients ("BroadcastId", "UserId", "Channel", "ChatId", "State")
                SELECT {{broadcastId}}, v.u, v.c, v.chat, {{Pending}} FROM unnest({{users}}, {{channels}}, {{chats}}) AS v(u, c, chat)
                """, ct);
            return;
        }
        var cmd = db.HotCommand("""
            INSERT INTO broadcast_recipients ("BroadcastId", "UserId", "Channel", "ChatId", "State") VALUES (@b, @u, @c, @chat, @s)
            """, "@b", "@u", "@c", "@chat", "@s");
        foreach (var (userId, channel, chatId) in page)
        {
            cmd.Parameters[0].Value = broadcastId;
            cmd.Parameters[1].Value = userId;
            cmd.Parameters[2].Value = channel;
            cmd.Parameters[3].Value = chatId;
            cmd.Parameters[4].Value = Pending;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Moves the handed-over recipients off Pending and links their outbox rows (the sandbox page needs no delivery: Sent at once).</summary>
    private async Task MarkQueuedAsync(long broadcastId, List<(long UserId, string Channel, long OutboxId)> rows, DateTime now, CancellationToken ct)
    {
        if (db.IsPostgres)
        {
            var users = rows.Select(r => r.UserId).ToArray();
            var outboxIds = rows.Select(r => r.OutboxId).ToArray();
            var sandbox = rows.Select(r => r.Channel == ChatChannel.Sandbox).ToArray();
            await db.Database.ExecuteSqlInterpolatedAsync($$"""
                UPDATE broadcast_recipients AS r SET "OutboxMessageId" = v.o, "QueuedAt" = {{now}},
                    "State" = CASE WHEN v.sandbox THEN {{SentState}} ELSE {{Queued}} END,
                    "FinishedAt" = CASE WHEN v.sandbox THEN {{now}} ELSE NULL END
                FROM unnest({{users}}, {{outboxIds}}, {{sandbox}}) AS v(u, o, sandbox)
                WHERE r."BroadcastId" = {{broadcastId}} AND r."UserId" = v.u AND r."State" = {{Pending}}
                """, ct);
            return;
        }
        var cmd = db.HotCommand("""
            UPDATE broadcast_recipients SET "OutboxMessageId" = @o, "QueuedAt" = @now, "State" = @s, "FinishedAt" = @fin
            WHERE "BroadcastId" = @b AND "UserId" = @u AND "State" = @pending
            """, "@o", "@now", "@s", "@fin", "@b", "@u", "@pending");
        foreach (var (userId, channel, outboxId) in rows)
        {
            var sandbox = channel == ChatChannel.Sandbox;
            cmd.Parameters[0].Value = outboxId;
            cmd.Parameters[1].Value = now;
            cmd.Parameters[2].Value = sandbox ? SentState : Queued;
            cmd.Parameters[3].Value = sandbox ? now : DBNull.Value;
            cmd.Parameters[4].Value = broadcastId;
            cmd.Parameters[5].Value = userId;
            cmd.Parameters[6].Value = Pending;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Completes the broadcast when nobody is left, else queues the next tick; edits the admin's progress message now and then.</summary>
    private async Task NextTickAsync(long id, int tick, CancellationToken ct) =>
        await InTransactionAsync(async () =>
        {
            var b = await db.Broadcasts.FirstAsync(x => x.Id == id, ct);
            if (b.Status != BroadcastStatus.Running || b.Tick != tick) return 0;
            var p = await ProgressAsync(b, ct);
            var now = Now;
            var done = p.Remaining == 0;
            // Conditional: a pause or cancel committed since the read above wins, and this tick queues nothing.
            var next = db.Broadcasts.Where(x => x.Id == id && x.Status == BroadcastStatus.Running && x.Tick == tick);
            var n = done
                ? await next.ExecuteUpdateAsync(s => s.SetProperty(x => x.Tick, tick + 1).SetProperty(x => x.Status, BroadcastStatus.Completed)
                    .SetProperty(x => x.FinishedAt, now), ct)
                : await next.ExecuteUpdateAsync(s => s.SetProperty(x => x.Tick, tick + 1), ct);
            if (n == 0) return 0;
            b.Tick = tick + 1;
            if (done)
            {
                b.Status = BroadcastStatus.Completed;
                b.FinishedAt = now;
            }
            else
            {
                jobs.Enqueue(JobType, new TickPayload(id, b.Tick),
                    new EnqueueOptions { RunAt = now.AddSeconds(O.TickSeconds), IdempotencyKey = $"broadcast:{id}:{b.Tick}" });
            }
            if (done || b.ProgressAt is null || (now - b.ProgressAt.Value).TotalSeconds >= O.ProgressEverySeconds)
                await EditProgressAsync(b, p, ct);
            await db.SaveChangesAsync(ct);
            if (done) log.LogInformation("Broadcast {Id} completed: {Sent} sent, {Failed} failed, {Blocked} blocked", id, p.Sent, p.Failed, p.Blocked);
            return 1;
        }, ct);

    /// <summary>Edits the admin's progress message, once Telegram has told us its id.</summary>
    private async Task EditProgressAsync(Broadcast b, BroadcastProgress p, CancellationToken ct)
    {
        if (b.ProgressOutboxId is not { } rowId) return;
        if (b.ProgressMessageId is null)
        {
            var result = await db.Outbox.AsNoTracking().Where(o => o.Id == rowId && o.Status == OutboxStatus.Sent).Select(o => o.Result).FirstOrDefaultAsync(ct);
            if (result is null) return;
            try
            {
                using var doc = JsonDocument.Parse(result);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message_id", out var mid))
                    b.ProgressMessageId = mid.GetInt32();
            }
            catch (JsonException) { }
            if (b.ProgressMessageId is null) return;
        }
        if (await AdminChatAsync(b, ct) is not { } to) return;
        var language = await LanguageOfAdminAsync(b, ct);
        outbox.EditText(to, b.ProgressMessageId.Value, ProgressText(b, p, language), ProgressKeyboard(b, language));
        b.ProgressAt = Now;
    }

    public string ProgressText(Broadcast b, BroadcastProgress? p, string language)
    {
        var status = b.Status == BroadcastStatus.Running && b.Total is null ? BroadcastTexts.Preparing.In(language) : BroadcastTexts.Status(b.Status).In(language);
        var eta = p?.Eta is { } e && b.Status == BroadcastStatus.Running ? string.Format(CultureInfo.InvariantCulture, BroadcastTexts.Eta.In(language), BroadcastTexts.Duration(e, language)) : "";
        return string.Format(CultureInfo.InvariantCulture, BroadcastTexts.Progress.In(language), b.Id, status, SegmentLabel(b, language),
            p?.Sent ?? 0, p?.Failed ?? 0, p?.Blocked ?? 0, p?.Remaining ?? b.Total ?? 0, b.Total?.ToString(CultureInfo.InvariantCulture) ?? "…", eta);
    }

    public string SegmentLabel(Broadcast b, string language) =>
        Segments.Label(b.Segment).In(language) + b.Segment switch
        {
            Segments.Language or Segments.Tier or Segments.Giveaway => ": " + b.SegmentValue,
            Segments.Ids => $" ({new Segments.Spec(b.Segment, b.SegmentValue).IdList().Count})",
            _ => "",
        };

    public static InlineKeyboardMarkup? ProgressKeyboard(Broadcast b, string language) => b.Status switch
    {
        BroadcastStatus.Running => new InlineKeyboardMarkup([[
            InlineKeyboardButton.WithCallbackData(BroadcastTexts.PauseButton.In(language), $"{BroadcastBot.Prefix}pause:{b.Id}"),
            InlineKeyboardButton.WithCallbackData(BroadcastTexts.CancelButton.In(language), $"{BroadcastBot.Prefix}cancel:{b.Id}")]]),
        BroadcastStatus.Paused => new InlineKeyboardMarkup([[
            InlineKeyboardButton.WithCallbackData(BroadcastTexts.ResumeButton.In(language), $"{BroadcastBot.Prefix}resume:{b.Id}"),
            InlineKeyboardButton.WithCallbackData(BroadcastTexts.CancelButton.In(language), $"{BroadcastBot.Prefix}cancel:{b.Id}")]]),
        _ => null,
    };

    private async Task<ChatTarget?> AdminChatAsync(Broadcast b, CancellationToken ct)
    {
        if (b.AdminUserId is not { } uid) return null;
        var u = await db.Users.AsNoTracking().Where(x => x.Id == uid).Select(x => new { x.Channel, x.ExternalId }).FirstOrDefaultAsync(ct);
        return u is null ? null : new ChatTarget(u.Channel, u.ExternalId, uid);
    }

    private async Task<string> LanguageOfAdminAsync(Broadcast b, CancellationToken ct) =>
        b.AdminUserId is { } uid ? Languages.FromCode(await db.Users.Where(x => x.Id == uid).Select(x => x.LanguageCode).FirstOrDefaultAsync(ct)) : Languages.English;

    /// <summary>A short write transaction of its own; on SQLite it takes its turn with the other writers. Joins one the caller has open.</summary>
    private async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await work();
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                var result = await work();
                await tx.CommitAsync(ct);
                return result;
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }
    }
}

/// <summary>One tick of a running broadcast; see <see cref="BroadcastService.TickAsync"/>.</summary>
internal sealed class BroadcastTickJob(BroadcastService broadcasts) : JobHandler<BroadcastService.TickPayload>
{
    public override Task HandleAsync(BroadcastService.TickPayload payload, JobContext job, CancellationToken ct) => broadcasts.TickAsync(payload, ct);
}
