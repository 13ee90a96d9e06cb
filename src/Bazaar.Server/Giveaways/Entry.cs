using System.Security.Cryptography;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Giveaways;

public enum JoinOutcome { Joined, AlreadyParticipating, NotFound, NotStarted, Ended, CaptchaRequired }

public sealed record JoinResult(JoinOutcome Outcome, Giveaway? Giveaway = null, long? ParticipantId = null);

public enum CaptchaOutcome { Passed, WrongAnswer, TooManyAttempts, Expired, NotFound, CoolingDown, Asked }

/// <summary>A captcha step's answer: a new or current question, or how a given answer went.</summary>
public sealed record CaptchaResult(CaptchaOutcome Outcome, CaptchaSession? Session = null, int AttemptsLeft = 0, int WaitSeconds = 0);

/// <summary>
/// Taking part: the once-per-user captcha and the join itself. Joining is idempotent through the unique index on
/// (giveaway, user): the insert does nothing on a conflict, so concurrent duplicates give one participant. Runs inside
/// the caller's transaction (the update's, a job's, or one of its own for the API).
/// </summary>
public sealed class GiveawayEntry(BazaarDb db, WriteGate gate, TimeProvider clock, IOptions<GiveawayOptions> options)
{
    private GiveawayOptions O => options.Value;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public Task<Giveaway?> FindAsync(long id, CancellationToken ct) =>
        db.Giveaways.AsNoTracking().Include(g => g.RequiredChannels).FirstOrDefaultAsync(g => g.Id == id, ct);

    /// <summary>Why the user cannot join now, before any check of captcha or channels (null: open).</summary>
    public JoinOutcome? Closed(Giveaway? g, DateTime now) =>
        g is null || g.Status is GiveawayStatus.Draft or GiveawayStatus.Cancelled ? JoinOutcome.NotFound
        : g.Status == GiveawayStatus.Drawn || now >= g.EndsAt || g.EndAfterParticipants is { } n && g.ParticipantCount >= n ? JoinOutcome.Ended
        : now < g.StartsAt ? JoinOutcome.NotStarted
        : null;

    public async Task<bool> HasPassedCaptchaAsync(long userId, CancellationToken ct) =>
        await db.GiveawayUserRecords.AnyAsync(r => r.UserId == userId && r.CaptchaCompletedAt != null, ct);

    public Task<GiveawayParticipant?> ParticipantAsync(long giveawayId, long userId, CancellationToken ct) =>
        db.GiveawayParticipants.AsNoTracking().FirstOrDefaultAsync(p => p.GiveawayId == giveawayId && p.UserId == userId, ct);

    /// <summary>
    /// Joins when open and the captcha is passed (subscriptions are the caller's to check first, outside any
    /// transaction). A duplicate answers AlreadyParticipating with the existing participant.
    /// </summary>
    public async Task<JoinResult> JoinAsync(long giveawayId, long userId, DateTime? subscriptionCheckedAt, CancellationToken ct)
    {
        return await InTransactionAsync(async () =>
        {
            var g = await FindAsync(giveawayId, ct);
            var now = Now;
            if (await ParticipantAsync(giveawayId, userId, ct) is { } existing)
                return new JoinResult(JoinOutcome.AlreadyParticipating, g, existing.Id);
            if (Closed(g, now) is { } closed) return new JoinResult(closed, g);
            if (!await HasPassedCaptchaAsync(userId, ct)) return new JoinResult(JoinOutcome.CaptchaRequired, g);

            // The unique index (giveaway, user) decides between concurrent joins; the loser inserts nothing.
            var inserted = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO giveaway_participants ("GiveawayId", "UserId", "JoinedAt", "SubscriptionCheckedAt")
                VALUES ({giveawayId}, {userId}, {now}, {subscriptionCheckedAt}) ON CONFLICT ("GiveawayId", "UserId") DO NOTHING
                """, ct);
            var p = await ParticipantAsync(giveawayId, userId, ct);
            if (inserted == 0) return new JoinResult(JoinOutcome.AlreadyParticipating, g, p!.Id);
            await db.Giveaways.Where(x => x.Id == giveawayId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ParticipantCount, x => x.ParticipantCount + 1), ct);
            await TouchRecordAsync(userId, ct);
            await db.GiveawayUserRecords.Where(r => r.UserId == userId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.TotalParticipations, r => r.TotalParticipations + 1)
                .SetProperty(r => r.FirstParticipationAt, r => r.FirstParticipationAt ?? now), ct);
            return new JoinResult(JoinOutcome.Joined, g, p!.Id);
        }, ct);
    }

    /// <summary>Records when the user's subscriptions were last checked (per user, across giveaways).</summary>
    public Task RecordSubscriptionCheckAsync(long userId, DateTime at, CancellationToken ct) => InTransactionAsync(async () =>
    {
        await TouchRecordAsync(userId, ct);
        return await db.GiveawayUserRecords.Where(r => r.UserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LastSubscriptionCheckAt, at), ct);
    }, ct);

    /// <summary>The user's open question, a new one, or a wait after three wrong answers.</summary>
    public async Task<CaptchaResult> AskAsync(long userId, long? giveawayId, CancellationToken ct)
    {
        return await InTransactionAsync(async () =>
        {
            var now = Now;
            var last = await db.CaptchaSessions.Where(s => s.UserId == userId).OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(ct);
            if (last is { PassedAt: null, FailedAt: null } && last.ExpiresAt > now)
            {
                if (giveawayId is not null && last.GiveawayId != giveawayId) { last.GiveawayId = giveawayId; await db.SaveChangesAsync(ct); }
                return new CaptchaResult(CaptchaOutcome.Asked, last, O.CaptchaAttempts - last.Attempts);
            }
            if (last?.FailedAt is { } failed && failed.AddSeconds(O.CaptchaCooldownSeconds) > now)
                return new CaptchaResult(CaptchaOutcome.CoolingDown, last, 0, (int)Math.Ceiling((failed.AddSeconds(O.CaptchaCooldownSeconds) - now).TotalSeconds));
            var (question, answer) = CaptchaQuestions.New(O.Captcha);
            var session = new CaptchaSession
            {
                Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), UserId = userId, GiveawayId = giveawayId,
                Question = question, Answer = answer, CreatedAt = now, ExpiresAt = now.AddMinutes(O.CaptchaMinutes),
            };
            db.CaptchaSessions.Add(session);
            await db.SaveChangesAsync(ct);
            return new CaptchaResult(CaptchaOutcome.Asked, session, O.CaptchaAttempts);
        }, ct);
    }

    public Task<CaptchaSession?> SessionAsync(string sessionId, CancellationToken ct) =>
        db.CaptchaSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, ct);

    /// <summary>Whether the captcha session was asked of this user.</summary>
    public Task<bool> IsSessionOfAsync(string sessionId, long userId, CancellationToken ct) =>
        db.CaptchaSessions.AnyAsync(s => s.Id == sessionId && s.UserId == userId, ct);

    /// <summary>Checks an answer: passes the user for every giveaway, or counts the attempt.</summary>
    public async Task<CaptchaResult> AnswerAsync(string sessionId, string answer, CancellationToken ct)
    {
        return await InTransactionAsync(async () =>
        {
            var now = Now;
            var s = await db.CaptchaSessions.FirstOrDefaultAsync(x => x.Id == sessionId, ct);
            if (s is null) return new CaptchaResult(CaptchaOutcome.NotFound);
            if (s.PassedAt is not null) return new CaptchaResult(CaptchaOutcome.Passed, s);
            if (s.FailedAt is not null || s.Attempts >= O.CaptchaAttempts) return new CaptchaResult(CaptchaOutcome.TooManyAttempts, s, 0, CooldownLeft(s, now));
            if (s.ExpiresAt <= now) return new CaptchaResult(CaptchaOutcome.Expired, s);

            // The attempt is counted with a condition on the count read, so parallel answers cannot exceed three.
            var counted = await db.CaptchaSessions.Where(x => x.Id == s.Id && x.Attempts == s.Attempts && x.PassedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Attempts, x => x.Attempts + 1), ct);
            if (counted == 0) return new CaptchaResult(CaptchaOutcome.TooManyAttempts, s);
            var attempts = s.Attempts + 1;
            if (CaptchaQuestions.Normalize(s, answer) == s.Answer)
            {
                await db.CaptchaSessions.Where(x => x.Id == s.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.PassedAt, now), ct);
                await TouchRecordAsync(s.UserId, ct);
                await db.GiveawayUserRecords.Where(r => r.UserId == s.UserId && r.CaptchaCompletedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.CaptchaCompletedAt, now), ct);
                s.PassedAt = now;
                return new CaptchaResult(CaptchaOutcome.Passed, s);
            }
            if (attempts >= O.CaptchaAttempts)
            {
                await db.CaptchaSessions.Where(x => x.Id == s.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.FailedAt, now), ct);
                s.FailedAt = now;
                return new CaptchaResult(CaptchaOutcome.TooManyAttempts, s, 0, O.CaptchaCooldownSeconds);
            }
            return new CaptchaResult(CaptchaOutcome.WrongAnswer, s, O.CaptchaAttempts - attempts);
        }, ct);
    }

    private int CooldownLeft(CaptchaSession s, DateTime now) =>
        s.FailedAt is { } f ? Math.Max(0, (int)Math.Ceiling((f.AddSeconds(O.CaptchaCooldownSeconds) - now).TotalSeconds)) : 0;

    private Task TouchRecordAsync(long userId, CancellationToken ct) => db.Database.ExecuteSqlAsync($"""
        INSERT INTO giveaway_user_records ("UserId", "TotalParticipations", "TotalWins") VALUES ({userId}, {0}, {0})
        ON CONFLICT ("UserId") DO NOTHING
        """, ct);

    /// <summary>Inside the caller's transaction when there is one, else in a short one of its own at the write gate.</summary>
    private async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await work();
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var result = await work();
            await tx.CommitAsync(ct);
            return result;
        }
    }
}
