using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Channels;

/// <summary>
/// Delivers outbox rows. Each round it picks the due rows (urgent ones first, then each chat's queue in id
/// order), claims them with a conditional update and a lease, and sends them within the pacer's limits.
/// Any number of loops and processes may run rounds at once: a row is claimed by one of them only, a chat's
/// rows go out in order, and rows of a sender that died are taken over when its lease has expired.
/// Not a job type: the outbox is a queue of its own, whose claims follow each chat's order and Telegram's flood
/// limits, and a send must not wait for a job claim. Only its retention clean-up is a job (OutboxCleanupJob).
/// </summary>
public sealed class OutboxSender(
    IServiceScopeFactory scopes,
    IEnumerable<IOutboxTransport> transports,
    OutboxPacer pacer,
    OutboxSignal signal,
    Conversations.WriteGate gate,
    TimeProvider clock,
    IOptions<OutboxOptions> options,
    Operations.BazaarMetrics metrics,
    ILogger<OutboxSender> log) : BackgroundService
{
    /// <summary>What a round did; <see cref="WakeAt"/> is when paced rows may go, if any were held back;
    /// <see cref="RateBound"/> when rows were held back because the global or broadcast rate had no more room.</summary>
    public sealed record Round(int Claimed, int Sent, DateTime? WakeAt, bool RateBound = false);

    private readonly Dictionary<string, IOutboxTransport> _transports =
        transports.GroupBy(t => t.Channel).ToDictionary(g => g.Key, g => g.Last());

    private OutboxOptions O => options.Value;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!O.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = TimeSpan.FromSeconds(O.PollSeconds);
            var urgentOnly = false;
            try
            {
                var round = await RunOnceAsync(stoppingToken);
                if (round.Claimed >= O.BatchSize) continue;
                if (round.WakeAt is { } at && at - Now < wait) wait = at - Now;
                // The rate decides what goes (rows were held back for it, or it has no room at all): gather a tenth of a
                // second's worth before the next round, waking early only for urgent rows. A round costs queries over the
                // backlog, and a round per commit sent a row or two (30 rounds a second under a steady load, most of
                // PostgreSQL's time).
                var now = Now;
                if (round.RateBound || (round.Claimed == 0 && pacer.GlobalAvailable(now) == 0))
                {
                    urgentOnly = true;
                    var gather = TimeSpan.FromSeconds(Math.Max(1, O.GlobalPerSecond / 10.0) / Math.Max(1, O.GlobalPerSecond));
                    // (A tenth of a second is at least one token's time at 10/s and more; at lower rates it is one token's.)
                    var until = pacer.PausedUntil - now > gather ? pacer.PausedUntil - now : gather;
                    wait = until < TimeSpan.FromSeconds(O.PollSeconds) ? until : TimeSpan.FromSeconds(O.PollSeconds);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Outbox round failed; trying again shortly");
            }
            if (wait < TimeSpan.FromMilliseconds(10)) wait = TimeSpan.FromMilliseconds(10);
            try { await signal.WaitAsync(wait, clock, stoppingToken, urgentOnly); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One round: claim what is due and allowed now, send it, record the outcomes.</summary>
    public async Task<Round> RunOnceAsync(CancellationToken ct)
    {
        var channels = _transports.Values.Where(t => t.IsEnabled).Select(t => t.Channel).ToArray();
        if (channels.Length == 0) return new Round(0, 0, null);
        metrics.OutboxRound();
        var now = Now;
        var globalPause = pacer.PausedUntil;

        var hasGlobalRoom = pacer.GlobalAvailable(now) > 0;
        var due = await DueAsync(channels, now, (hasGlobalRoom || pacer.LaneAvailable(OutboxLanes.PaidBroadcast, now) > 0) && now >= globalPause,
            onlyPaid: !hasGlobalRoom, ct);
        due = await ExpireStaleAsync(due, now, ct);
        if (due.Count == 0 || now < globalPause) return new Round(0, 0, due.Count > 0 ? globalPause : null);

        // Pick what the limits allow now: urgent rows always, then a prefix of each chat's queue.
        var picked = new List<OutboxMessage>();
        var taken = new Dictionary<(string, string), int>();
        var globalRoom = pacer.GlobalAvailable(now);
        var broadcastRoom = pacer.LaneAvailable(OutboxLanes.Broadcast, now);
        var paidRoom = pacer.LaneAvailable(OutboxLanes.PaidBroadcast, now);
        int paced = 0, broadcasts = 0, paid = 0;
        DateTime? wakeAt = null;
        var rateBound = false;
        foreach (var m in due)
        {
            if (m.Urgent) { picked.Add(m); continue; }
            var key = (m.Channel, m.ChatId);
            var n = taken.GetValueOrDefault(key);
            var room = m.Lane switch
            {
                OutboxLanes.PaidBroadcast => paid < paidRoom,
                OutboxLanes.Broadcast => paced < globalRoom && broadcasts < broadcastRoom,
                _ => paced < globalRoom,
            };
            if (room && n < pacer.Available(m.Channel, m.ChatId, now, m.Lane))
            {
                taken[key] = n + 1;
                if (m.Lane == OutboxLanes.PaidBroadcast) paid++;
                else paced++;
                if (m.Lane == OutboxLanes.Broadcast) broadcasts++;
                picked.Add(m);
            }
            else
            {
                rateBound |= !room && m.Lane != OutboxLanes.PaidBroadcast;
                var at = pacer.NextAvailableAt(m.Channel, m.ChatId, now, m.Lane);
                if (wakeAt is null || at < wakeAt) wakeAt = at;
            }
        }
        if (picked.Count == 0) return new Round(0, 0, wakeAt, rateBound);
        // With shared limits (PostgreSQL or Redis) the global limits are the cluster's: take the picked rows' share in one round trip.
        var reserved = await pacer.ReserveAsync(picked, now, ct);
        rateBound |= reserved.Rows.Count < picked.Count;
        picked = reserved.Rows;
        if (reserved.WakeAt is { } heldUntil && (wakeAt is null || heldUntil < wakeAt)) wakeAt = heldUntil;
        if (picked.Count == 0) return new Round(0, 0, wakeAt, rateBound);

        var claim = Guid.NewGuid().ToString("N");
        var mine = await ClaimAsync(picked, claim, now, ct);
        if (mine.Count == 0) return new Round(0, 0, wakeAt, rateBound);

        // Lanes: each urgent row alone; each chat's rows one after another, in id order.
        var lanes = mine.Where(m => m.Urgent).Select(m => (IReadOnlyList<OutboxMessage>)[m])
            .Concat(mine.Where(m => !m.Urgent).GroupBy(m => (m.Channel, m.ChatId))
                .Select(g => (IReadOnlyList<OutboxMessage>)g.OrderBy(m => m.Id).ToList()))
            .ToList();
        var sent = 0;
        var sentLog = new SentLog();
        try
        {
            await Parallel.ForEachAsync(lanes, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, O.Parallelism), CancellationToken = ct },
                async (lane, token) => Interlocked.Add(ref sent, await RunLaneAsync(lane, claim, now, sentLog, token)));
        }
        finally
        {
            // What went out is recorded even when the round stops early: only a crash can leave sent rows unrecorded.
            await RecordSentAsync(sentLog.TakeAll(), claim);
        }
        return new Round(mine.Count, sent, wakeAt, rateBound);
    }

    /// <summary>A round's sent rows, recorded together: one write per few dozen messages instead of one per message.</summary>
    private sealed class SentLog
    {
        private readonly object _lock = new();
        private List<SentRow> _rows = [];
        private long _firstAt;

        /// <summary>Adds the row; returns the rows to record now once there are <paramref name="flushAt"/> of them or the
        /// oldest has waited <paramref name="maxWait"/> (a slow round records as it goes).</summary>
        public List<SentRow>? Add(SentRow row, int flushAt, TimeSpan maxWait)
        {
            lock (_lock)
            {
                if (_rows.Count == 0) _firstAt = System.Diagnostics.Stopwatch.GetTimestamp();
                _rows.Add(row);
                if (_rows.Count < flushAt && System.Diagnostics.Stopwatch.GetElapsedTime(_firstAt) < maxWait) return null;
                var full = _rows;
                _rows = [];
                return full;
            }
        }

        public List<SentRow> TakeAll()
        {
            lock (_lock)
            {
                var all = _rows;
                _rows = [];
                return all;
            }
        }
    }

    private sealed record SentRow(long Id, string? Result, string? ExternalId, DateTime At);

    /// <summary>
    /// Marks rows sent, in one transaction, while the claim is still theirs. A crash before this resends them after their
    /// lease (at most one flush's worth, <see cref="OutboxOptions.SentFlushSize"/> rows or
    /// <see cref="OutboxOptions.SentFlushMilliseconds"/> of sending): Telegram has no idempotency key.
    /// </summary>
    private async Task RecordSentAsync(List<SentRow> rows, string claim)
    {
        if (rows.Count == 0) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        using var turn = await gate.EnterAsync(CancellationToken.None);
        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        if (db.IsPostgres)
        {
            var ids = rows.Select(r => r.Id).ToArray();
            var results = rows.Select(r => r.Result).ToArray();
            var externals = rows.Select(r => r.ExternalId).ToArray();
            var at = rows.Select(r => r.At).ToArray();
            await db.Database.ExecuteSqlInterpolatedAsync($$"""
                UPDATE outbox AS o SET "Status" = {{OutboxStatusText.Sent}}, "SentAt" = v.at, "Result" = v.result, "ExternalId" = v.ext,
                    "DeliveryStatus" = CASE WHEN v.ext IS NULL THEN NULL ELSE {{SentDelivery}} END,
                    "DeliveryUpdatedAt" = CASE WHEN v.ext IS NULL THEN NULL ELSE v.at END,
                    "Attempts" = o."Attempts" + 1, "FailingSince" = NULL, "LockedBy" = NULL, "LockedUntil" = NULL
                FROM unnest({{ids}}, {{results}}, {{externals}}, {{at}}) AS v(id, result, ext, at)
                WHERE o."Id" = v.id AND o."LockedBy" = {{claim}}
                """, CancellationToken.None);
        }
        else
        {
            var cmd = db.HotCommand($"""
                UPDATE outbox SET "Status" = '{OutboxStatusText.Sent}', "SentAt" = @at, "Result" = @result, "ExternalId" = @ext,
                    "DeliveryStatus" = CASE WHEN @ext IS NULL THEN NULL ELSE '{SentDelivery}' END,
                    "DeliveryUpdatedAt" = CASE WHEN @ext IS NULL THEN NULL ELSE @at END,
                    "Attempts" = "Attempts" + 1, "FailingSince" = NULL, "LockedBy" = NULL, "LockedUntil" = NULL
                WHERE "Id" = @id AND "LockedBy" = @claim
                """, "@at", "@result", "@ext", "@id", "@claim");
            foreach (var r in rows)
            {
                cmd.Parameters[0].Value = r.At;
                cmd.Parameters[1].Value = (object?)r.Result ?? DBNull.Value;
                cmd.Parameters[2].Value = (object?)r.ExternalId ?? DBNull.Value;
                cmd.Parameters[3].Value = r.Id;
                cmd.Parameters[4].Value = claim;
                await cmd.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>The delivery status of a message the channel accepted.</summary>
    private const string SentDelivery = "sent";

    /// <summary>
    /// The rows that may go now: urgent ones, then (when the global limit has room) the head of each chat's queue in id
    /// order, a few rows per chat, and rows whose claim lapsed. A chat's row is due only when no earlier row of the chat
    /// waits (backing off, or claimed by a live sender). Each query walks the (Status, Urgent, Id) index from the oldest
    /// row and stops at the batch size, so a round costs the same whatever the backlog.
    /// </summary>
    private async Task<List<OutboxMessage>> DueAsync(string[] channels, DateTime now, bool paced, bool onlyPaid, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        IQueryable<OutboxMessage> Free(IQueryable<OutboxMessage> q) => q.Where(o => channels.Contains(o.Channel) && !db.Outbox.Any(e =>
            e.Channel == o.Channel && e.ChatId == o.ChatId && e.Id < o.Id && !e.Urgent &&
            ((e.Status == OutboxStatus.Pending && e.NextAttemptAt > now) ||
             (e.Status == OutboxStatus.Sending && e.LockedUntil >= now))));

        var due = await Free(db.Outbox.AsNoTracking().Where(o => o.Status == OutboxStatus.Pending && o.Urgent && o.NextAttemptAt <= now))
            .OrderBy(o => o.Id).Take(O.BatchSize).ToListAsync(ct);
        // A sender that died left these claimed; few at any time.
        var lapsed = await Free(db.Outbox.AsNoTracking().Where(o => o.Status == OutboxStatus.Sending && o.LockedUntil < now))
            .OrderBy(o => o.Id).Take(O.BatchSize).ToListAsync(ct);
        due.AddRange(lapsed.Where(o => o.Urgent));
        if (!paced) return due;

        // Then the head of each chat's queue that may send now, a few rows each, so one long queue cannot fill the
        // batch while other chats wait: a chat that has its few (or is throttled) is left out of the next read.
        var skip = new HashSet<string>(pacer.ThrottledChats(now));
        var perChat = Math.Clamp(Math.Max(O.PrivateChatBurst, O.GroupBurst), 1, O.BatchSize);
        var taken = new Dictionary<string, int>();
        var heads = new List<OutboxMessage>();
        void Take(IEnumerable<OutboxMessage> rows)
        {
            foreach (var m in rows)
            {
                var key = m.Channel + ":" + m.ChatId;
                if (heads.Count >= O.BatchSize || skip.Contains(key)) continue;
                var n = taken.GetValueOrDefault(key) + 1;
                taken[key] = n;
                heads.Add(m);
                if (n >= perChat) skip.Add(key);
            }
        }
        Take(lapsed.Where(o => !o.Urgent));
        var after = 0L;
        // PostgreSQL: each window walks its index in id order and stops at the batch. Under a queue that grew in seconds
        // the planner's statistics lag behind (a backlog of 15,000 estimated at one row) and it read and sorted all of it
        // instead, 30-100 ms a round; without a sort the ordered walk is the only plan left. Not for the reads above:
        // the lapsed rows span both urgencies, and a sort-free plan for them would walk the whole table.
        await using var ordered = db.IsPostgres ? await db.Database.BeginTransactionAsync(ct) : null;
        if (ordered is not null) await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_sort = off", ct);
        for (var read = 0; read < 4 && heads.Count < O.BatchSize; read++)
        {
            var left = skip.ToArray();
            // With the global rate used up only the paid lane (its own rate) can go: skip reading everything else.
            var window = await Free(db.Outbox.AsNoTracking().Where(o => o.Status == OutboxStatus.Pending && !o.Urgent && o.NextAttemptAt <= now
                    && o.Id > after && !left.Contains(o.Channel + ":" + o.ChatId) && (!onlyPaid || o.Lane == OutboxLanes.PaidBroadcast)))
                .OrderBy(o => o.Id).Take(O.BatchSize).ToListAsync(ct);
            Take(window);
            if (window.Count < O.BatchSize) break;
            after = window[^1].Id;
        }
        due.AddRange(heads.OrderBy(o => o.Id));
        return due;
    }

    /// <summary>
    /// A callback or pre-checkout answer is useless after seconds (Telegram refuses it), and an edit of a menu after a
    /// day only confuses: those expire with a reason instead of being sent. New messages and notifications never expire.
    /// </summary>
    private async Task<List<OutboxMessage>> ExpireStaleAsync(List<OutboxMessage> due, DateTime now, CancellationToken ct)
    {
        var stale = due.Where(m => ExpiryOf(m.Method) is { } limit && now - m.CreatedAt > limit).ToList();
        if (stale.Count == 0) return due;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        foreach (var m in stale)
        {
            var reason = $"Expired unsent: a {m.Method} older than {Describe(ExpiryOf(m.Method)!.Value)} would be refused or out of date.";
            using (await gate.EnterAsync(CancellationToken.None))
            {
                await db.Outbox.Where(o => o.Id == m.Id && (o.Status == OutboxStatus.Pending || (o.Status == OutboxStatus.Sending && o.LockedUntil < now)))
                    .ExecuteUpdateAsync(u => u
                        .SetProperty(o => o.Status, OutboxStatus.Expired)
                        .SetProperty(o => o.LastError, reason)
                        .SetProperty(o => o.LockedBy, (string?)null)
                        .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
            }
            log.LogInformation("Outbox {Id} ({Method}) expired unsent", m.Id, m.Method);
        }
        return due.Except(stale).ToList();
    }

    private TimeSpan? ExpiryOf(string method) => method switch
    {
        "answerCallbackQuery" or "answerPreCheckoutQuery" or "answerInlineQuery" => TimeSpan.FromSeconds(O.AnswerExpirySeconds),
        "editMessageText" or "editMessageReplyMarkup" or "editMessageCaption" or "editMessageMedia" => TimeSpan.FromHours(O.EditExpiryHours),
        _ => null,
    };

    private static string Describe(TimeSpan t) => t.TotalHours >= 1 ? $"{t.TotalHours:0.#} h" : $"{t.TotalSeconds:0} s";

    /// <summary>Claims the rows that are still free, then gives back any that would overtake an earlier row of their chat held by someone else.</summary>
    private async Task<List<OutboxMessage>> ClaimAsync(List<OutboxMessage> picked, string claim, DateTime now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var ids = picked.Select(m => m.Id).ToArray();
        var until = now.AddSeconds(O.LeaseSeconds);
        // SQLite's writers take turns through the gate rather than sleeping in its busy handler.
        using var turn = await gate.EnterAsync(ct);
        int claimed;
        if (db.IsPostgres)
        {
            // Lock the free rows in id order and skip the ones another claim holds: no waiting, no deadlock.
            claimed = await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE outbox SET "Status" = {OutboxStatusText.Sending}, "LockedBy" = {claim}, "LockedUntil" = {until}
                WHERE "Id" IN (
                    SELECT "Id" FROM outbox
                    WHERE "Id" = ANY({ids}) AND (("Status" = {OutboxStatusText.Pending} AND "NextAttemptAt" <= {now}) OR ("Status" = {OutboxStatusText.Sending} AND "LockedUntil" < {now}))
                    ORDER BY "Id" FOR UPDATE SKIP LOCKED)
                """, ct);
        }
        else
        {
            // SQLite has one writer at a time, so the conditional update alone decides.
            claimed = await db.Outbox
                .Where(o => ids.Contains(o.Id) &&
                            ((o.Status == OutboxStatus.Pending && o.NextAttemptAt <= now) ||
                             (o.Status == OutboxStatus.Sending && o.LockedUntil < now)))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(o => o.Status, OutboxStatus.Sending)
                    .SetProperty(o => o.LockedBy, claim)
                    .SetProperty(o => o.LockedUntil, until), ct);
        }
        if (claimed == 0) return [];

        // Every look-up below starts from the picked ids (the primary key): LockedBy has no index, and a scan of the
        // whole table per round was most of a large broadcast's cost.
        var overtaking = await db.Outbox
            .Where(o => ids.Contains(o.Id) && o.LockedBy == claim && !o.Urgent && db.Outbox.Any(e =>
                e.Channel == o.Channel && e.ChatId == o.ChatId && e.Id < o.Id && !e.Urgent &&
                (e.Status == OutboxStatus.Pending || e.Status == OutboxStatus.Sending) &&
                (e.LockedBy == null || e.LockedBy != claim)))
            .Select(o => o.Id).ToListAsync(ct);
        if (overtaking.Count > 0) await ReleaseAsync(db, overtaking, claim, ct);

        // Nothing goes to a user who blocked the bot.
        await db.Outbox
            // Two lookups, each by an index (the user's key; channel and external id), rather than one OR that scanned
            // every user for every claimed row.
            .Where(o => ids.Contains(o.Id) && o.LockedBy == claim && (db.Users.Any(u => u.IsBlocked && u.Id == o.UserId) ||
                db.Users.Any(u => u.IsBlocked && u.Channel == o.Channel && u.ExternalId == o.ChatId)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.Status, OutboxStatus.Dropped)
                .SetProperty(o => o.LastError, "The recipient has blocked the bot.")
                .SetProperty(o => o.LockedBy, (string?)null)
                .SetProperty(o => o.LockedUntil, (DateTime?)null), ct);

        return await db.Outbox.AsNoTracking().Where(o => ids.Contains(o.Id) && o.LockedBy == claim).OrderBy(o => o.Id).ToListAsync(ct);
    }

    private async Task<int> ReleaseAsync(BazaarDb db, IReadOnlyCollection<long> ids, string claim, CancellationToken ct)
    {
        using var turn = await gate.EnterAsync(ct);
        return await db.Outbox.Where(o => ids.Contains(o.Id) && o.LockedBy == claim && o.Status == OutboxStatus.Sending)
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.Status, OutboxStatus.Pending)
                .SetProperty(o => o.LockedBy, (string?)null)
                .SetProperty(o => o.LockedUntil, (DateTime?)null), ct);
    }

    private async Task<int> RunLaneAsync(IReadOnlyList<OutboxMessage> lane, string claim, DateTime claimedAt, SentLog sentLog, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        // A lane of one broadcast row never touches the database itself: its outcome goes to the round's log.
        BazaarDb? context = null;
        BazaarDb Db() => context ??= scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var sent = 0;
        for (var i = 0; i < lane.Count; i++)
        {
            var m = lane[i];
            var rest = lane.Skip(i).Select(x => x.Id).ToList();
            if (!m.Urgent && !pacer.TryTake(m.Channel, m.ChatId, Now, m.Lane))
            {
                await ReleaseAsync(Db(), rest, claim, CancellationToken.None);
                break;
            }
            // Renew the lease right before the call, so a slow lane never sends a row another sender has taken over. The
            // lane's first row was claimed moments ago: nobody can take it over before half its lease has passed.
            if (i > 0 || Now - claimedAt >= TimeSpan.FromSeconds(O.LeaseSeconds / 2))
            {
                var leaseUntil = Now.AddSeconds(O.LeaseSeconds);
                int stillMine;
                using (await gate.EnterAsync(CancellationToken.None))
                {
                    stillMine = await Db().Outbox.Where(o => o.Id == m.Id && o.LockedBy == claim && o.Status == OutboxStatus.Sending)
                        .ExecuteUpdateAsync(s => s.SetProperty(o => o.LockedUntil, leaseUntil), CancellationToken.None);
                }
                if (stillMine == 0)
                {
                    await ReleaseAsync(Db(), rest, claim, CancellationToken.None);
                    break;
                }
            }
            Delivery outcome;
            try
            {
                // Only an upload's payload names the stored file; everything else has none to read.
                IReadOnlyList<OutboxAttachment> files = HasAttachments(m)
                    ? await Db().OutboxAttachments.AsNoTracking().Where(a => a.OutboxMessageId == m.Id).OrderBy(a => a.Id).ToListAsync(ct)
                    : [];
                outcome = await _transports[m.Channel].SendAsync(m, files, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await ReleaseAsync(Db(), rest, claim, CancellationToken.None);
                throw;
            }
            if (outcome is Delivery.Sent && !m.Urgent) await pacer.SentAsync(m.Channel, m.ChatId, Now, CancellationToken.None);
            if (outcome is Delivery.Sent s && !HasAttachments(m))
            {
                sent++;
                metrics.OutboxSent(m.Channel);
                if (sentLog.Add(new SentRow(m.Id, s.Result, s.ExternalId, Now), Math.Max(1, O.SentFlushSize),
                        TimeSpan.FromMilliseconds(Math.Max(0, O.SentFlushMilliseconds))) is { } full)
                    await RecordSentAsync(full, claim);
                continue;
            }
            var goOn = await RecordAsync(Db(), m, claim, outcome, ct);
            if (outcome is Delivery.Sent) sent++;
            if (!goOn)
            {
                await ReleaseAsync(Db(), rest.Skip(1).ToList(), claim, CancellationToken.None);
                break;
            }
        }
        return sent;
    }

    private static bool HasAttachments(OutboxMessage m) => m.Payload.Contains(Outbox.AttachedFile, StringComparison.Ordinal);

    /// <summary>Stores the outcome; false when the rest of the chat's queue must wait.</summary>
    private async Task<bool> RecordAsync(BazaarDb db, OutboxMessage m, string claim, Delivery outcome, CancellationToken ct)
    {
        using var turn = await gate.EnterAsync(CancellationToken.None);
        var now = Now;
        var row = db.Outbox.Where(o => o.Id == m.Id && o.LockedBy == claim);
        switch (outcome)
        {
            case Delivery.Sent s:
                await row.ExecuteUpdateAsync(u => u
                    .SetProperty(o => o.Status, OutboxStatus.Sent)
                    .SetProperty(o => o.SentAt, now)
                    .SetProperty(o => o.Result, s.Result)
                    .SetProperty(o => o.ExternalId, s.ExternalId)
                    .SetProperty(o => o.DeliveryStatus, s.ExternalId == null ? null : SentDelivery)
                    .SetProperty(o => o.DeliveryUpdatedAt, s.ExternalId == null ? null : now)
                    .SetProperty(o => o.Attempts, o => o.Attempts + 1)
                    .SetProperty(o => o.FailingSince, (DateTime?)null)
                    .SetProperty(o => o.LockedBy, (string?)null)
                    .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
                if (HasAttachments(m)) await db.OutboxAttachments.Where(a => a.OutboxMessageId == m.Id).ExecuteDeleteAsync(CancellationToken.None);
                metrics.OutboxSent(m.Channel);
                return true;

            case Delivery.RetryAfter r:
                var until = now + r.Wait;
                if (r.Global) await pacer.PauseAllAsync(until, now, CancellationToken.None);
                metrics.OutboxRateLimited(m.Channel);
                log.LogWarning("Flood control on outbox {Id} ({Channel} chat {Chat}): waiting {Wait}", m.Id, m.Channel, m.ChatId, r.Wait);
                await row.ExecuteUpdateAsync(u => u
                    .SetProperty(o => o.Status, OutboxStatus.Pending)
                    .SetProperty(o => o.NextAttemptAt, until)
                    .SetProperty(o => o.LastError, Trim(r.Error))
                    .SetProperty(o => o.LockedBy, (string?)null)
                    .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
                return false;

            case Delivery.Blocked b:
                log.LogInformation("Outbox {Id}: {Channel} chat {Chat} is closed to the bot ({Error}); dropping its queue", m.Id, m.Channel, m.ChatId, b.Error);
                await BlockAsync(db, m, Trim(b.Error), now);
                return false;

            case Delivery.Undeliverable und:
                log.LogWarning("Outbox {Id} ({Channel} chat {Chat}) is undeliverable: {Reason}", m.Id, m.Channel, m.ChatId, und.Reason);
                await row.ExecuteUpdateAsync(u => u
                    .SetProperty(o => o.Status, OutboxStatus.Failed)
                    .SetProperty(o => o.DeliveryStatus, "undeliverable")
                    .SetProperty(o => o.DeliveryUpdatedAt, now)
                    .SetProperty(o => o.Attempts, o => o.Attempts + 1)
                    .SetProperty(o => o.LastError, Trim(und.Reason))
                    .SetProperty(o => o.LockedBy, (string?)null)
                    .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
                return true;

            case Delivery.Rejected rej:
                log.LogWarning("Outbox {Id} ({Method}) was rejected: {Error}", m.Id, m.Method, rej.Error);
                await row.ExecuteUpdateAsync(u => u
                    .SetProperty(o => o.Status, OutboxStatus.Failed)
                    .SetProperty(o => o.Attempts, o => o.Attempts + 1)
                    .SetProperty(o => o.LastError, Trim(rej.Error))
                    .SetProperty(o => o.LockedBy, (string?)null)
                    .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
                return true;

            case Delivery.Transient t:
                var attempts = m.Attempts + 1;
                var since = m.FailingSince ?? now;
                if (now - since >= TimeSpan.FromMinutes(O.RetryWindowMinutes))
                {
                    log.LogWarning("Outbox {Id} ({Method}) failed: still failing after {Minutes} min and {Attempts} attempts: {Error}",
                        m.Id, m.Method, O.RetryWindowMinutes, attempts, t.Error);
                    await row.ExecuteUpdateAsync(u => u
                        .SetProperty(o => o.Status, OutboxStatus.Failed)
                        .SetProperty(o => o.Attempts, attempts)
                        .SetProperty(o => o.LastError, Trim(t.Error))
                        .SetProperty(o => o.LockedBy, (string?)null)
                        .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
                    return true;
                }
                var next = now + Backoff(attempts);
                await row.ExecuteUpdateAsync(u => u
                    .SetProperty(o => o.Status, OutboxStatus.Pending)
                    .SetProperty(o => o.Attempts, attempts)
                    .SetProperty(o => o.FailingSince, since)
                    .SetProperty(o => o.NextAttemptAt, next)
                    .SetProperty(o => o.LastError, Trim(t.Error))
                    .SetProperty(o => o.LockedBy, (string?)null)
                    .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
                return false;

            default:
                throw new InvalidOperationException($"Unknown delivery outcome {outcome}.");
        }
    }

    /// <summary>Marks the user blocked and drops everything still queued for the chat.</summary>
    private static async Task BlockAsync(BazaarDb db, OutboxMessage m, string error, DateTime now)
    {
        await db.Users
            .Where(u => (m.UserId != null && u.Id == m.UserId) || (u.Channel == m.Channel && u.ExternalId == m.ChatId))
            .Where(u => !u.IsBlocked)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.IsBlocked, true).SetProperty(u => u.BlockedAt, now), CancellationToken.None);
        await db.Outbox
            .Where(o => o.Channel == m.Channel && o.ChatId == m.ChatId &&
                        (o.Id == m.Id || o.Status == OutboxStatus.Pending || (o.Status == OutboxStatus.Sending && o.LockedBy == m.LockedBy)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.Status, OutboxStatus.Dropped)
                .SetProperty(o => o.LastError, error)
                .SetProperty(o => o.LockedBy, (string?)null)
                .SetProperty(o => o.LockedUntil, (DateTime?)null), CancellationToken.None);
    }

    /// <summary>Exponential up to a cap (an outage is retried every minute or so), with ±25% jitter so that many failed
    /// rows do not come back at the same instant.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var seconds = Math.Min(O.RetryMaxSeconds, O.RetryBaseSeconds * Math.Pow(2, attempts - 1));
        return TimeSpan.FromSeconds(seconds * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    private static string Trim(string s) => s.Length <= 1000 ? s : s[..1000];

    /// <summary>Deletes finished rows (sent, failed, dropped, expired) older than Outbox:RetentionDays, in batches.</summary>
    public async Task<int> CleanUpAsync(CancellationToken ct)
    {
        var cutoff = Now.AddDays(-O.RetentionDays);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        return await Retention.DeleteInBatchesAsync(db.Outbox,
            o => o.CreatedAt < cutoff &&
                 (o.Status == OutboxStatus.Sent || o.Status == OutboxStatus.Failed || o.Status == OutboxStatus.Dropped ||
                  o.Status == OutboxStatus.Expired), ct,
            beforeDelete: (ids, c) => db.OutboxAttachments.Where(a => ids.Contains(a.OutboxMessageId)).ExecuteDeleteAsync(c));
    }
}
