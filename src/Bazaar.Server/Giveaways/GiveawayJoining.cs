using Bazaar.Server.Data;

namespace Bazaar.Server.Giveaways;

public enum JoinStep
{
    Joined, AlreadyParticipating, NotFound, NotStarted, Ended,
    /// <summary>The user must answer the captcha first: <see cref="JoinAttempt.Session"/> holds the question.</summary>
    CaptchaAsked,
    /// <summary>Three wrong answers: a new question after <see cref="JoinAttempt.WaitSeconds"/>.</summary>
    CoolingDown,
    NotSubscribed, TelegramUnavailable,
    WrongAnswer, SessionExpired, SessionNotFound,
}

public sealed record JoinAttempt(JoinStep Step, Giveaway? Giveaway = null, long? ParticipantId = null, CaptchaSession? Session = null,
    int AttemptsLeft = 0, int WaitSeconds = 0, IReadOnlyList<MissingChannel>? Missing = null, DateTime? CheckedAt = null, string? Error = null);

/// <summary>
/// Joining a giveaway from outside the chat (the participant API, the Mini App), in the bot's order: a duplicate,
/// then closed, then the once-per-user captcha, then the required channels (getChatMember, outside any transaction,
/// the check time recorded), then the join itself (<see cref="GiveawayEntry.JoinAsync"/>).
/// </summary>
public sealed class GiveawayJoining(GiveawayEntry entry, ChatMembers members, TimeProvider clock)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<JoinAttempt> RegisterAsync(Giveaway g, ChatUser user, CancellationToken ct)
    {
        if (await entry.ParticipantAsync(g.Id, user.Id, ct) is { } existing) return new(JoinStep.AlreadyParticipating, g, existing.Id);
        if (entry.Closed(g, Now) is { } closed) return new(Step(closed), g);
        if (!await entry.HasPassedCaptchaAsync(user.Id, ct)) return await AskCaptchaAsync(g, user, ct);
        var joined = await JoinSubscribedAsync(g, user, ct);
        return joined.Step == JoinStep.CaptchaAsked ? await AskCaptchaAsync(g, user, ct) : joined;
    }

    /// <summary>
    /// An answer to the captcha; once passed, the join the session was asked for is carried on. Only the session's
    /// own user may answer it (<paramref name="userId"/>; null for the operators' API, which names no caller).
    /// </summary>
    public async Task<JoinAttempt> AnswerAsync(string sessionId, string answer, long? userId, Func<long, CancellationToken, Task<ChatUser>> userOf,
        CancellationToken ct)
    {
        if (userId is { } uid && !await entry.IsSessionOfAsync(sessionId, uid, ct)) return new(JoinStep.SessionNotFound);
        var result = await entry.AnswerAsync(sessionId, answer, ct);
        switch (result.Outcome)
        {
            case CaptchaOutcome.Passed:
                var s = result.Session!;
                if (s.GiveawayId is not { } gid) return new(JoinStep.Joined, Session: s);
                var g = await entry.FindAsync(gid, ct);
                if (g is not null && await entry.ParticipantAsync(gid, s.UserId, ct) is { } existing)
                    return new(JoinStep.AlreadyParticipating, g, existing.Id, s);
                if (entry.Closed(g, Now) is { } closed) return new(Step(closed), g, Session: s);
                var joined = await JoinSubscribedAsync(g!, await userOf(s.UserId, ct), ct);
                return joined with { Session = s };
            case CaptchaOutcome.WrongAnswer: return new(JoinStep.WrongAnswer, AttemptsLeft: result.AttemptsLeft);
            case CaptchaOutcome.TooManyAttempts: return new(JoinStep.CoolingDown, WaitSeconds: result.WaitSeconds);
            case CaptchaOutcome.Expired: return new(JoinStep.SessionExpired);
            default: return new(JoinStep.SessionNotFound);
        }
    }

    private async Task<JoinAttempt> AskCaptchaAsync(Giveaway g, ChatUser user, CancellationToken ct)
    {
        var asked = await entry.AskAsync(user.Id, g.Id, ct);
        return asked.Outcome == CaptchaOutcome.CoolingDown
            ? new(JoinStep.CoolingDown, g, WaitSeconds: asked.WaitSeconds)
            : new(JoinStep.CaptchaAsked, g, Session: asked.Session, AttemptsLeft: asked.AttemptsLeft);
    }

    private async Task<JoinAttempt> JoinSubscribedAsync(Giveaway g, ChatUser user, CancellationToken ct)
    {
        DateTime? checkedAt = null;
        if (g.RequiredChannels.Count > 0)
        {
            List<MissingChannel> missing;
            try { missing = await members.MissingAsync(user, g.RequiredChannels, ct); }
            catch (Exception e) when (e is Telegram.Bot.Exceptions.RequestException or HttpRequestException)
            {
                return new(JoinStep.TelegramUnavailable, g, Error: e.Message);
            }
            var now = Now;
            await entry.RecordSubscriptionCheckAsync(user.Id, now, ct);
            if (missing.Count > 0) return new(JoinStep.NotSubscribed, g, Missing: missing, CheckedAt: now);
            checkedAt = now;
        }
        var result = await entry.JoinAsync(g.Id, user.Id, checkedAt, ct);
        return new(result.Outcome switch
        {
            JoinOutcome.CaptchaRequired => JoinStep.CaptchaAsked,
            var o => Step(o),
        }, result.Giveaway ?? g, result.ParticipantId, CheckedAt: checkedAt);
    }

    private static JoinStep Step(JoinOutcome o) => o switch
    {
        JoinOutcome.Joined => JoinStep.Joined,
        JoinOutcome.AlreadyParticipating => JoinStep.AlreadyParticipating,
        JoinOutcome.NotStarted => JoinStep.NotStarted,
        JoinOutcome.Ended => JoinStep.Ended,
        JoinOutcome.CaptchaRequired => JoinStep.CaptchaAsked,
        _ => JoinStep.NotFound,
    };
}
