using System.Globalization;
using System.Net;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Giveaways;

public enum DrawOutcomeKind { Drawn, AlreadyDrawn, NotFound, NotOpen, NoParticipants, BeaconNotReady }

public sealed record DrawResult(DrawOutcomeKind Kind, Giveaway? Giveaway = null, WinnerDraw? Draw = null, string? Detail = null);

/// <summary>
/// Draws a giveaway's winners with <see cref="FairDraw"/>. The winners are re-checked for subscription as they are
/// drawn (outside any transaction); one who left is a re-roll. Then one short transaction reveals the seed, stores
/// the audit and the winners, and queues the winners' notices, the results for everyone else (a setting) and the
/// post's results edit. Only the first of two concurrent draws stores anything (status condition + unique audit).
/// </summary>
public sealed class WinnerDrawing(BazaarDb db, ChatMembers members, Beacons beacons, Outbox outbox, GiveawayPosts posts, WriteGate gate, TimeProvider clock,
    IOptions<GiveawayOptions> options, ILogger<WinnerDrawing> log)
{
    public async Task<DrawResult> DrawAsync(long giveawayId, int? winnerCount, CancellationToken ct)
    {
        var g = await db.Giveaways.AsNoTracking().Include(x => x.RequiredChannels).FirstOrDefaultAsync(x => x.Id == giveawayId, ct);
        if (g is null) return new DrawResult(DrawOutcomeKind.NotFound);
        if (g.Status == GiveawayStatus.Drawn)
            return new DrawResult(DrawOutcomeKind.AlreadyDrawn, g, await db.WinnerDraws.AsNoTracking().FirstOrDefaultAsync(d => d.GiveawayId == g.Id, ct));
        if (g.Status != GiveawayStatus.Published) return new DrawResult(DrawOutcomeKind.NotOpen, g);
        var requestedAt = clock.GetUtcNow().UtcDateTime;
        var pool = await db.GiveawayParticipants.AsNoTracking().Where(p => p.GiveawayId == g.Id)
            .Select(p => new { p.Id, p.UserId }).ToListAsync(ct);
        if (pool.Count == 0) return new DrawResult(DrawOutcomeKind.NoParticipants, g);
        var beacon = g.Beacon;
        if (g.BeaconSource is not null && beacon is null)
        {
            beacon = await beacons.ValueAsync(g.BeaconSource, ct);
            if (beacon is null) return new DrawResult(DrawOutcomeKind.BeaconNotReady, g, Detail: $"The beacon {g.BeaconSource} is not available yet.");
        }

        var userOf = pool.ToDictionary(p => p.Id, p => p.UserId);
        var drawnUsers = new List<long>();
        var count = Math.Max(1, winnerCount ?? g.WinnerCount);
        var outcome = await FairDraw.DrawAsync(new DrawInput(FairDraw.GiveawayDomain, g.Id, Convert.FromHexString(g.SeedHex), beacon, userOf.Keys),
            count, async (participantId, token) =>
            {
                if (g.RequiredChannels.Count == 0) return null;
                var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userOf[participantId], token);
                var missing = await members.MissingAsync(user, g.RequiredChannels, token);
                return missing.Count == 0 ? null : "left " + string.Join(", ", missing.Select(m => m.ChatId));
            }, ct);

        var now = clock.GetUtcNow().UtcDateTime;
        var draw = new WinnerDraw
        {
            GiveawayId = g.Id, RequestedCount = count, SelectedCount = outcome.Winners.Count, Method = FairDraw.Method,
            ParticipantCount = outcome.ParticipantCount, ParticipantListHash = outcome.ParticipantListHash,
            EligibleIds = JsonSerializer.Serialize(FairDraw.Sorted(userOf.Keys)), Winners = JsonSerializer.Serialize(outcome.Winners),
            ReRolls = JsonSerializer.Serialize(outcome.ReRolls.Select(r => new PublishedReRoll(r.Position, r.ParticipantId, r.Reason)), DrawVerifier.Json),
            RequestedAt = requestedAt, CompletedAt = now,
        };
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var claimed = await db.Giveaways.Where(x => x.Id == g.Id && x.Status == GiveawayStatus.Published).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, GiveawayStatus.Drawn).SetProperty(x => x.DrawnAt, now).SetProperty(x => x.Beacon, beacon), ct);
            if (claimed == 0)
            {
                await tx.RollbackAsync(ct);
                return new DrawResult(DrawOutcomeKind.AlreadyDrawn, g, await db.WinnerDraws.AsNoTracking().FirstOrDefaultAsync(d => d.GiveawayId == g.Id, ct));
            }
            db.WinnerDraws.Add(draw);
            var link = DrawLink(g.Id);
            var winners = new List<(GiveawayWinner Row, OutboxMessage? Notice)>();
            var positions = new Dictionary<long, int>();
            // Positions of winners in the shuffle, for the audit: skipped positions are the re-rolls.
            var rerolled = outcome.ReRolls.Select(r => r.Position).ToHashSet();
            for (int pos = 0, k = 0; k < outcome.Winners.Count; pos++)
                if (!rerolled.Contains(pos)) positions[outcome.Winners[k++]] = pos;
            var userIds = outcome.Winners.Select(w => userOf[w]).ToList();
            var users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, ct);
            foreach (var participantId in outcome.Winners)
            {
                var user = users[userOf[participantId]];
                var row = new GiveawayWinner
                {
                    GiveawayId = g.Id, ParticipantId = participantId, UserId = user.Id, Position = positions[participantId], SelectedAt = now,
                    DeliveryUpdatedAt = now,
                };
                OutboxMessage? notice = null;
                if (user.IsBlocked) { row.Delivery = WinnerDelivery.Blocked; row.DeliveryError = "The winner has blocked the bot."; }
                else
                {
                    var lang = Languages.FromCode(user.LanguageCode);
                    notice = outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
                        GiveawayBot.F(lang, GiveawayTexts.YouWon, WebUtility.HtmlEncode(g.Prize), WebUtility.HtmlEncode(g.Title), link));
                }
                db.GiveawayWinners.Add(row);
                winners.Add((row, notice));
            }
            await db.SaveChangesAsync(ct);
            foreach (var (row, notice) in winners.Where(w => w.Notice is not null)) row.OutboxMessageId = notice!.Id;
            await db.GiveawayUserRecords.Where(r => userIds.Contains(r.UserId))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.TotalWins, r => r.TotalWins + 1), ct);
            if (g.NotifyNonWinners)
            {
                var losers = await (from p in db.GiveawayParticipants.AsNoTracking()
                                    join u in db.Users.AsNoTracking() on p.UserId equals u.Id
                                    where p.GiveawayId == g.Id && !u.IsBlocked && !userIds.Contains(u.Id)
                                    select u).ToListAsync(ct);
                foreach (var u in losers)
                {
                    var lang = Languages.FromCode(u.LanguageCode);
                    outbox.SendText(new ChatTarget(u.Channel, u.ExternalId, u.Id), GiveawayBot.F(lang, GiveawayTexts.Results, WebUtility.HtmlEncode(g.Title), link),
                        new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(GiveawayTexts.DidIWinButton.In(lang), GiveawayBot.WonCallback)));
                }
            }
            await posts.QueueResultsEditAsync(g, outcome.ParticipantCount, outcome.Winners, link, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        log.LogInformation("Giveaway {Id} drawn: {Winners} of {Participants}, {ReRolls} re-roll(s)", g.Id, outcome.Winners.Count, outcome.ParticipantCount, outcome.ReRolls.Count);
        db.ChangeTracker.Clear();
        return new DrawResult(DrawOutcomeKind.Drawn, await db.Giveaways.AsNoTracking().FirstAsync(x => x.Id == g.Id, ct), draw);
    }

    /// <summary>Nobody joined: the giveaway ends without winners, the seed is revealed and the post says so.</summary>
    public async Task CloseEmptyAsync(long giveawayId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var g = await db.Giveaways.AsNoTracking().FirstAsync(x => x.Id == giveawayId, ct);
            var claimed = await db.Giveaways.Where(x => x.Id == giveawayId && x.Status == GiveawayStatus.Published && x.ParticipantCount == 0)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, GiveawayStatus.Drawn).SetProperty(x => x.DrawnAt, now), ct);
            if (claimed == 0) return;
            db.WinnerDraws.Add(new WinnerDraw
            {
                GiveawayId = g.Id, RequestedCount = g.WinnerCount, Method = FairDraw.Method, ParticipantListHash = FairDraw.ParticipantListHash([]),
                EligibleIds = "[]", Winners = "[]", ReRolls = "[]", RequestedAt = now, CompletedAt = now,
            });
            await posts.QueueResultsEditAsync(g, 0, [], DrawLink(g.Id), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
    }

    public string DrawLink(long id) => $"{options.Value.PublicUrl.TrimEnd('/')}/api/v1/giveaways/{id}/draw";

    /// <summary>The published draw (commitment only, until the draw).</summary>
    public static PublishedDraw Publish(Giveaway g, WinnerDraw? d) => d is null
        ? new PublishedDraw { Domain = FairDraw.GiveawayDomain, DrawId = g.Id, Commitment = g.Commitment, BeaconSource = g.BeaconSource, WinnerCount = g.WinnerCount }
        : new PublishedDraw
        {
            Domain = FairDraw.GiveawayDomain, DrawId = g.Id, Commitment = g.Commitment, Seed = g.SeedHex, Beacon = g.Beacon, BeaconSource = g.BeaconSource,
            ParticipantListHash = d.ParticipantListHash, ParticipantCount = d.ParticipantCount,
            EligibleIds = JsonSerializer.Deserialize<List<long>>(d.EligibleIds)!, WinnerCount = d.RequestedCount,
            Winners = JsonSerializer.Deserialize<List<long>>(d.Winners)!,
            ReRolls = JsonSerializer.Deserialize<List<PublishedReRoll>>(d.ReRolls, DrawVerifier.Json)!, DrawnAt = d.CompletedAt,
        };
}

/// <summary>
/// A public beacon named before the draw. "bitcoin:block:&lt;height&gt;" is the hash of that Bitcoin block, asked from
/// the Esplora block explorer configured for crypto payments (Payments:Crypto:Btc:ExplorerUrl); null until mined.
/// </summary>
public sealed class Beacons(IHttpClientFactory http, IOptions<PaymentsOptions> payments)
{
    public static bool IsValidSource(string? source) =>
        source is null || source.StartsWith("bitcoin:block:", StringComparison.Ordinal) && long.TryParse(source["bitcoin:block:".Length..], out var h) && h > 0;

    public async Task<string?> ValueAsync(string source, CancellationToken ct)
    {
        if (!IsValidSource(source)) throw new JobPermanentFailure($"Unknown beacon source '{source}'.");
        var url = payments.Value.Crypto.Btc.ExplorerUrl;
        if (string.IsNullOrWhiteSpace(url)) throw new InvalidOperationException("The beacon needs Payments:Crypto:Btc:ExplorerUrl.");
        var client = http.CreateClient("esplora");
        client.BaseAddress = new Uri(url.TrimEnd('/') + "/");
        using var response = await client.GetAsync($"block-height/{source["bitcoin:block:".Length..]}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null; // not mined yet
        response.EnsureSuccessStatusCode();
        var hash = (await response.Content.ReadAsStringAsync(ct)).Trim();
        return hash.Length == 64 && hash.All(Uri.IsHexDigit) ? hash.ToLowerInvariant() : throw new HttpRequestException($"The explorer answered '{hash}' for {source}.");
    }
}

/// <summary>
/// <c>giveaways.due</c> (every minute): giveaways past their end time or participant limit get a draw job;
/// <c>giveaways.draw</c> draws one (retried while the beacon is not mined or the Bot API fails).
/// </summary>
public sealed class DueDrawsJob(BazaarDb db, JobQueue jobs, TimeProvider clock) : IJobHandler
{
    public const string JobType = "giveaways.due";

    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Giveaways.AsNoTracking()
            .Where(g => g.Status == GiveawayStatus.Published && (g.EndsAt <= now || g.EndAfterParticipants != null && g.ParticipantCount >= g.EndAfterParticipants))
            .Select(g => g.Id).Take(100).ToListAsync(ct);
        foreach (var id in due)
            if (!await db.Jobs.AnyAsync(j => j.IdempotencyKey == DrawJob.KeyFor(id), ct)) DrawJob.Enqueue(jobs, id);
        await db.SaveChangesAsync(ct);
    }
}

public sealed class DrawJob(WinnerDrawing drawing) : JobHandler<DrawJob.Payload>
{
    public const string JobType = "giveaways.draw";
    public sealed record Payload(long GiveawayId);

    public static string KeyFor(long giveawayId) => $"{JobType}:{giveawayId}";

    public static Job Enqueue(JobQueue jobs, long giveawayId) =>
        jobs.Enqueue(JobType, new Payload(giveawayId), new EnqueueOptions { IdempotencyKey = KeyFor(giveawayId), MaxAttempts = 50 });

    public override async Task HandleAsync(Payload payload, JobContext job, CancellationToken ct)
    {
        var r = await drawing.DrawAsync(payload.GiveawayId, null, ct);
        if (r.Kind == DrawOutcomeKind.BeaconNotReady) throw new InvalidOperationException(r.Detail); // retried with backoff
        if (r.Kind == DrawOutcomeKind.NoParticipants)
        {
            // Nobody joined: the giveaway ends without winners.
            await drawing.CloseEmptyAsync(payload.GiveawayId, ct);
        }
    }
}
