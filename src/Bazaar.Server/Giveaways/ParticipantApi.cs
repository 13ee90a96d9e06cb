using System.Text.Json;
using System.Text.Json.Serialization;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// The participant-service API an existing bot service integrates with: snake_case JSON, <c>success</c> on every
/// answer, <c>error</c> and <c>error_code</c> on a failure. user_id is the Telegram user id. Every route needs the API key.
/// </summary>
public static class ParticipantApi
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static class Codes
    {
        public const string MissingField = "MISSING_FIELD";
        public const string DuplicateParticipation = "DUPLICATE_PARTICIPATION";
        public const string NoParticipants = "NO_PARTICIPANTS";
        public const string InvalidAnswer = "INVALID_ANSWER";
        public const string SessionExpired = "SESSION_EXPIRED";
        public const string TooManyAttempts = "TOO_MANY_ATTEMPTS";
        public const string GiveawayNotFound = "GIVEAWAY_NOT_FOUND";
        public const string GiveawayClosed = "GIVEAWAY_CLOSED";
        /// <summary>update-delivery-status for a user who did not win (not in the integrator's list; 404).</summary>
        public const string NotAWinner = "NOT_A_WINNER";
        /// <summary>register / validate-captcha for a user missing a required channel (403, with missing_channels).</summary>
        public const string NotSubscribed = "NOT_SUBSCRIBED";
    }

    public static IEndpointRouteBuilder MapParticipantApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/participants").RequireAuthorization(AdminModule.Policy).WithTags("Participant service");
        g.MapPost("/register", Register).WithName("ParticipantRegister").Accepts<RegisterRequest>("application/json").Produces<RegisterAnswer>()
            .WithSummary("Register a user in a giveaway: answers participant_id, or requires_captcha with captcha_question and session_id");
        g.MapPost("/join", Register).WithName("ParticipantJoin").Accepts<RegisterRequest>("application/json").Produces<RegisterAnswer>()
            .WithSummary("Alias of register");
        g.MapPost("/validate-captcha", ValidateCaptcha).WithName("ParticipantValidateCaptcha").Accepts<CaptchaRequest>("application/json")
            .Produces<RegisterAnswer>().WithSummary("Answer the captcha of a session; on success the pending registration completes");
        g.MapGet("/captcha-status/{user_id}", CaptchaStatus).WithName("ParticipantCaptchaStatus").Produces<CaptchaStatusAnswer>()
            .WithSummary("Whether the user passed the captcha, and their participation totals");
        g.MapGet("/winner-status/{user_id}/{giveaway_id}", WinnerStatus).WithName("ParticipantWinnerStatus").Produces<WinnerStatusAnswer>()
            .WithSummary("Whether the user took part in and won a giveaway");
        g.MapPost("/verify-subscription", VerifySubscription).WithName("ParticipantVerifySubscription").Accepts<UserGiveawayRequest>("application/json")
            .Produces<SubscriptionAnswer>().WithSummary("getChatMember for each required channel; records the check time");
        g.MapPost("/select-winners", SelectWinners).WithName("ParticipantSelectWinners").Accepts<SelectRequest>("application/json")
            .Produces<SelectAnswer>().WithSummary("Draw the winners (provably fair); a repeat answers the same draw");
        g.MapPut("/update-delivery-status", UpdateDelivery).WithName("ParticipantUpdateDelivery").Accepts<DeliveryRequest>("application/json")
            .Produces<DeliveryAnswer>().WithSummary("Record how the prize notice reached a winner");
        g.MapGet("/count/{giveaway_id}", Count).WithName("ParticipantCount").Produces<CountAnswer>().WithSummary("How many joined a giveaway");
        g.MapGet("/list/{giveaway_id}", ListParticipants).WithName("ParticipantList").Produces<ListAnswer>()
            .WithSummary("The participants of a giveaway, paged (page, page_size up to 200)");
        return app;
    }

    public sealed record RegisterRequest(long? GiveawayId, long? UserId, string? Username, string? FirstName, string? LastName);
    public sealed record CaptchaRequest(string? SessionId, string? Answer);
    public sealed record UserGiveawayRequest(long? GiveawayId, long? UserId);
    public sealed record SelectRequest(long? GiveawayId, int? WinnerCount);
    public sealed record DeliveryRequest(long? GiveawayId, long? UserId, string? Status, string? Error);

    public sealed record ErrorAnswer(bool Success, string Error, string ErrorCode);
    public sealed record RegisterAnswer(bool Success, long GiveawayId, long UserId, bool RequiresCaptcha, string? CaptchaQuestion, string? SessionId,
        long? ParticipantId, int? AttemptsLeft, string? CaptchaKind = null, IReadOnlyList<string>? CaptchaOptions = null);
    public sealed record CaptchaStatusAnswer(bool Success, long UserId, bool CaptchaCompleted, DateTime? CompletedAt, int TotalParticipations, int TotalWins,
        DateTime? FirstParticipation);
    public sealed record WinnerStatusAnswer(bool Success, long UserId, long GiveawayId, bool Participated, bool IsWinner, DateTime? WinnerSelectedAt, int TotalWinners);
    public sealed record MissingChannelView(string ChatId, string Title, string? Link, string Status);
    public sealed record SubscriptionAnswer(bool Success, long UserId, long GiveawayId, bool IsSubscribed, IReadOnlyList<MissingChannelView> MissingChannels, DateTime CheckedAt);
    public sealed record WinnerItem(long ParticipantId, long UserId, string? Username, string? FirstName, string? LastName, int Position);
    public sealed record ReRollItem(int Position, long ParticipantId, string? Reason);
    public sealed record SelectAnswer(bool Success, long GiveawayId, IReadOnlyList<WinnerItem> Winners, int TotalParticipants, int WinnerCountRequested,
        int WinnerCountSelected, DateTime SelectionTimestamp, string SelectionMethod, IReadOnlyList<ReRollItem> ReRolls, string Commitment, string Seed,
        string ParticipantListHash, string VerifyUrl);
    public sealed record DeliveryAnswer(bool Success, long GiveawayId, long UserId, string Status, int Attempts, string? Error, DateTime UpdatedAt);
    public sealed record CountAnswer(bool Success, long GiveawayId, int Count);
    public sealed record ParticipantItem(long ParticipantId, long UserId, string? Username, string? FirstName, string? LastName, DateTime JoinedAt,
        DateTime? SubscriptionCheckedAt);
    public sealed record ListAnswer(bool Success, long GiveawayId, IReadOnlyList<ParticipantItem> Participants, int Page, int PageSize, int Total);

    private static IResult Ok<T>(T answer) => Results.Json(answer, Json);

    private static IResult Fail(int status, string code, string error) => Results.Json(new ErrorAnswer(false, error, code), Json, statusCode: status);

    private static IResult Missing(string field) => Fail(400, Codes.MissingField, $"{field} is required.");

    private static async Task<(T? Body, IResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, Json, ct);
            return body is null ? (null, Fail(400, Codes.MissingField, "The body must be a JSON object.")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, Fail(400, Codes.MissingField, $"The body is not valid JSON for this route: {e.Message}"));
        }
    }

    private static long Tg(ChatUser u) => long.TryParse(u.ExternalId, out var id) ? id : u.Id;

    /// <summary>The Telegram user, created on first sight (concurrent first sightings give one row: the unique index).</summary>
    private static async Task<ChatUser> UserAsync(BazaarDb db, TimeProvider clock, RegisterRequest r, CancellationToken ct)
    {
        var external = r.UserId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var now = clock.GetUtcNow().UtcDateTime;
        var user = await db.Users.FirstOrDefaultAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == external, ct);
        if (user is null)
        {
            user = new ChatUser { Channel = ChatChannel.Telegram, ExternalId = external, CreatedAt = now, LastSeenAt = now };
            db.Users.Add(user);
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
            {
                db.Entry(user).State = EntityState.Detached;
                user = await db.Users.FirstAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == external, ct);
            }
        }
        user.Username = r.Username ?? user.Username;
        user.FirstName = r.FirstName ?? user.FirstName;
        user.LastName = r.LastName ?? user.LastName;
        user.LastSeenAt = now;
        await db.SaveChangesAsync(ct);
        return user;
    }

    private static Task<ChatUser?> FindUserAsync(BazaarDb db, long userId, CancellationToken ct)
    {
        var external = userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == external, ct);
    }

    private static IResult ClosedAnswer(JoinOutcome o, Giveaway? g, long giveawayId) => o switch
    {
        JoinOutcome.NotFound => Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {giveawayId}."),
        JoinOutcome.NotStarted => Fail(409, Codes.GiveawayClosed, $"Giveaway {giveawayId} starts at {g!.StartsAt:yyyy-MM-dd HH:mm} UTC."),
        _ => Fail(409, Codes.GiveawayClosed, $"Giveaway {giveawayId} has ended; joining is closed."),
    };

    internal static async Task<IResult> Register(HttpRequest request, BazaarDb db, GiveawayEntry entry, GiveawayJoining joining, TimeProvider clock,
        CancellationToken ct)
    {
        var (r, error) = await ReadAsync<RegisterRequest>(request, ct);
        if (error is not null) return error;
        if (r!.GiveawayId is null) return Missing("giveaway_id");
        if (r.UserId is null) return Missing("user_id");
        var g = await entry.FindAsync(r.GiveawayId.Value, ct);
        if (g is null || g.Status == GiveawayStatus.Draft) return Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {r.GiveawayId}.");
        var user = await UserAsync(db, clock, r, ct);
        var a = await joining.RegisterAsync(g, user, ct);
        return a.Step switch
        {
            JoinStep.Joined => Ok(new RegisterAnswer(true, g.Id, r.UserId.Value, false, null, null, a.ParticipantId, null)),
            // captcha_question is "7 + 5 = ?" or, for the emoji kind, "Press the cat: 🐶 🐱 …" with the same emoji in captcha_options;
            // validate-captcha takes the number, or the emoji (or its 1-based position among the options).
            JoinStep.CaptchaAsked => Ok(new RegisterAnswer(true, g.Id, r.UserId.Value, true, CaptchaQuestions.Prompt(a.Session!), a.Session!.Id, null,
                a.AttemptsLeft, CaptchaQuestions.Kind(a.Session!), CaptchaQuestions.IsEmoji(a.Session!) ? CaptchaQuestions.Options(a.Session!) : null)),
            _ => Refusal(a, g.Id),
        };
    }

    /// <summary>The participant API's answer to a join that did not go through.</summary>
    private static IResult Refusal(JoinAttempt a, long giveawayId) => a.Step switch
    {
        JoinStep.AlreadyParticipating => Duplicate(a.ParticipantId),
        JoinStep.CoolingDown => Results.Json(new { success = false, error = $"Too many wrong answers; a new question in {a.WaitSeconds} s.",
            error_code = Codes.TooManyAttempts, retry_after_seconds = a.WaitSeconds }, Json, statusCode: 429),
        JoinStep.TelegramUnavailable => Results.Json(new { success = false, error = $"Telegram did not answer getChatMember: {a.Error}",
            error_code = "TELEGRAM_UNAVAILABLE" }, Json, statusCode: 503),
        JoinStep.NotSubscribed => Results.Json(new
        {
            success = false, error = "The user is not subscribed to every required channel.", error_code = Codes.NotSubscribed,
            missing_channels = a.Missing!.Select(m => new MissingChannelView(m.ChatId, m.Title, m.Link, m.Status)).ToList(), checked_at = a.CheckedAt,
        }, Json, statusCode: 403),
        JoinStep.NotFound => ClosedAnswer(JoinOutcome.NotFound, a.Giveaway, giveawayId),
        JoinStep.NotStarted => ClosedAnswer(JoinOutcome.NotStarted, a.Giveaway, giveawayId),
        _ => ClosedAnswer(JoinOutcome.Ended, a.Giveaway, giveawayId),
    };

    private static IResult Duplicate(long? participantId) => Results.Json(new { success = false, error = "The user is already participating.",
        error_code = Codes.DuplicateParticipation, participant_id = participantId }, Json, statusCode: 409);

    internal static async Task<IResult> ValidateCaptcha(HttpRequest request, BazaarDb db, GiveawayJoining joining, CancellationToken ct)
    {
        var (r, error) = await ReadAsync<CaptchaRequest>(request, ct);
        if (error is not null) return error;
        if (string.IsNullOrWhiteSpace(r!.SessionId)) return Missing("session_id");
        if (string.IsNullOrWhiteSpace(r.Answer)) return Missing("answer");
        var a = await joining.AnswerAsync(r.SessionId.Trim(), r.Answer, null,
            (id, t) => db.Users.AsNoTracking().FirstAsync(u => u.Id == id, t), ct);
        switch (a.Step)
        {
            case JoinStep.Joined or JoinStep.AlreadyParticipating when a.Session is { } s:
                var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == s.UserId, ct);
                return Ok(new RegisterAnswer(true, s.GiveawayId ?? 0, Tg(user), false, null, s.Id, a.ParticipantId, null));
            case JoinStep.WrongAnswer:
                return Results.Json(new { success = false, error = $"Wrong answer; {a.AttemptsLeft} attempt(s) left.", error_code = Codes.InvalidAnswer,
                    attempts_left = a.AttemptsLeft }, Json, statusCode: 400);
            case JoinStep.CoolingDown when a.Session is null:
                return Results.Json(new { success = false, error = "No attempts left; register again after the cool-down for a new question.",
                    error_code = Codes.TooManyAttempts, retry_after_seconds = a.WaitSeconds }, Json, statusCode: 429);
            case JoinStep.SessionExpired:
                return Fail(410, Codes.SessionExpired, "The captcha session expired; register again for a new question.");
            case JoinStep.SessionNotFound:
                return Fail(404, Codes.SessionExpired, "There is no such captcha session; register again for a new question.");
            default:
                return Refusal(a, a.Session?.GiveawayId ?? 0);
        }
    }

    internal static async Task<IResult> CaptchaStatus(string user_id, BazaarDb db, CancellationToken ct)
    {
        if (!long.TryParse(user_id, out var userId)) return Fail(400, Codes.MissingField, "user_id must be a Telegram user id (a number).");
        var user = await FindUserAsync(db, userId, ct);
        var rec = user is null ? null : await db.GiveawayUserRecords.AsNoTracking().FirstOrDefaultAsync(x => x.UserId == user.Id, ct);
        return Ok(new CaptchaStatusAnswer(true, userId, rec?.CaptchaCompletedAt is not null, rec?.CaptchaCompletedAt, rec?.TotalParticipations ?? 0,
            rec?.TotalWins ?? 0, rec?.FirstParticipationAt));
    }

    internal static async Task<IResult> WinnerStatus(string user_id, string giveaway_id, BazaarDb db, CancellationToken ct)
    {
        if (!long.TryParse(user_id, out var userId)) return Fail(400, Codes.MissingField, "user_id must be a Telegram user id (a number).");
        if (!long.TryParse(giveaway_id, out var giveawayId)) return Fail(400, Codes.MissingField, "giveaway_id must be a number.");
        if (!await db.Giveaways.AnyAsync(g => g.Id == giveawayId && g.Status != GiveawayStatus.Draft, ct))
            return Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {giveawayId}.");
        var user = await FindUserAsync(db, userId, ct);
        var participated = user is not null && await db.GiveawayParticipants.AnyAsync(p => p.GiveawayId == giveawayId && p.UserId == user.Id, ct);
        var won = user is null ? null : await db.GiveawayWinners.AsNoTracking().FirstOrDefaultAsync(w => w.GiveawayId == giveawayId && w.UserId == user.Id, ct);
        var total = await db.GiveawayWinners.CountAsync(w => w.GiveawayId == giveawayId, ct);
        return Ok(new WinnerStatusAnswer(true, userId, giveawayId, participated, won is not null, won?.SelectedAt, total));
    }

    internal static async Task<IResult> VerifySubscription(HttpRequest request, BazaarDb db, GiveawayEntry entry, ChatMembers members, TimeProvider clock,
        CancellationToken ct)
    {
        var (r, error) = await ReadAsync<UserGiveawayRequest>(request, ct);
        if (error is not null) return error;
        if (r!.GiveawayId is null) return Missing("giveaway_id");
        if (r.UserId is null) return Missing("user_id");
        var g = await entry.FindAsync(r.GiveawayId.Value, ct);
        if (g is null || g.Status == GiveawayStatus.Draft) return Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {r.GiveawayId}.");
        var user = await UserAsync(db, clock, new RegisterRequest(r.GiveawayId, r.UserId, null, null, null), ct);
        List<MissingChannel> missing;
        try { missing = await members.MissingAsync(user, g.RequiredChannels, ct); } // an HTTP request: calling out is fine here
        catch (Exception e) when (e is Telegram.Bot.Exceptions.RequestException or HttpRequestException)
        {
            return Results.Json(new { success = false, error = $"Telegram did not answer getChatMember: {e.Message}", error_code = "TELEGRAM_UNAVAILABLE" },
                Json, statusCode: 503);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await db.GiveawayParticipants.Where(p => p.GiveawayId == g.Id && p.UserId == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.SubscriptionCheckedAt, now), ct);
        return Ok(new SubscriptionAnswer(true, r.UserId.Value, g.Id, missing.Count == 0,
            missing.Select(m => new MissingChannelView(m.ChatId, m.Title, m.Link, m.Status)).ToList(), now));
    }

    internal static async Task<IResult> SelectWinners(HttpRequest request, BazaarDb db, WinnerDrawing drawing, CancellationToken ct)
    {
        var (r, error) = await ReadAsync<SelectRequest>(request, ct);
        if (error is not null) return error;
        if (r!.GiveawayId is null) return Missing("giveaway_id");
        if (r.WinnerCount is null) return Missing("winner_count");
        if (r.WinnerCount < 1) return Fail(400, Codes.MissingField, "winner_count must be at least 1.");
        DrawResult result;
        try { result = await drawing.DrawAsync(r.GiveawayId.Value, r.WinnerCount, ct); }
        catch (Exception e) when (e is Telegram.Bot.Exceptions.RequestException or HttpRequestException)
        {
            return Results.Json(new { success = false, error = $"An outside service did not answer: {e.Message}", error_code = "UPSTREAM_UNAVAILABLE" },
                Json, statusCode: 503);
        }
        switch (result.Kind)
        {
            case DrawOutcomeKind.NotFound: return Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {r.GiveawayId}.");
            case DrawOutcomeKind.NoParticipants: return Fail(400, Codes.NoParticipants, $"Nobody has joined giveaway {r.GiveawayId}.");
            case DrawOutcomeKind.NotOpen: return Fail(409, Codes.GiveawayClosed, $"Giveaway {r.GiveawayId} is not published (or was cancelled).");
            case DrawOutcomeKind.BeaconNotReady: return Fail(409, Codes.GiveawayClosed, result.Detail!);
        }
        var g = result.Giveaway!;
        var d = result.Draw!;
        var winners = await (from w in db.GiveawayWinners.AsNoTracking()
                             join u in db.Users.AsNoTracking() on w.UserId equals u.Id
                             where w.GiveawayId == g.Id
                             orderby w.Position
                             select new { w, u }).ToListAsync(ct);
        var published = WinnerDrawing.Publish(g, d);
        return Ok(new SelectAnswer(true, g.Id, winners.Select(x => new WinnerItem(x.w.ParticipantId, Tg(x.u), x.u.Username, x.u.FirstName, x.u.LastName, x.w.Position)).ToList(),
            d.ParticipantCount, d.RequestedCount, d.SelectedCount, d.CompletedAt, d.Method,
            published.ReRolls.Select(x => new ReRollItem(x.Position, x.ParticipantId, x.Reason)).ToList(), g.Commitment, g.SeedHex, d.ParticipantListHash,
            drawing.DrawLink(g.Id)));
    }

    internal static async Task<IResult> UpdateDelivery(HttpRequest request, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        var (r, error) = await ReadAsync<DeliveryRequest>(request, ct);
        if (error is not null) return error;
        if (r!.GiveawayId is null) return Missing("giveaway_id");
        if (r.UserId is null) return Missing("user_id");
        if (string.IsNullOrWhiteSpace(r.Status)) return Missing("status");
        if (!Enum.TryParse<WinnerDelivery>(r.Status, ignoreCase: true, out var status) || !Enum.IsDefined(status))
            return Fail(400, Codes.MissingField, "status is one of pending, delivered, failed, blocked.");
        if (!await db.Giveaways.AnyAsync(g => g.Id == r.GiveawayId && g.Status != GiveawayStatus.Draft, ct))
            return Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {r.GiveawayId}.");
        var user = await FindUserAsync(db, r.UserId.Value, ct);
        var w = user is null ? null : await db.GiveawayWinners.FirstOrDefaultAsync(x => x.GiveawayId == r.GiveawayId && x.UserId == user.Id, ct);
        if (w is null) return Fail(404, Codes.NotAWinner, $"User {r.UserId} is not a winner of giveaway {r.GiveawayId}.");
        var now = clock.GetUtcNow().UtcDateTime;
        w.Delivery = status;
        w.DeliveryAttempts++;
        w.DeliveryError = string.IsNullOrWhiteSpace(r.Error) ? null : r.Error.Trim()[..Math.Min(1000, r.Error.Trim().Length)];
        w.DeliveryUpdatedAt = now;
        w.OutboxMessageId = null; // the integrator's word now, not the outbox's
        await db.SaveChangesAsync(ct);
        return Ok(new DeliveryAnswer(true, w.GiveawayId, r.UserId.Value, status.ToString().ToLowerInvariant(), w.DeliveryAttempts, w.DeliveryError, now));
    }

    internal static async Task<IResult> Count(string giveaway_id, BazaarDb db, CancellationToken ct)
    {
        if (!long.TryParse(giveaway_id, out var id)) return Fail(400, Codes.MissingField, "giveaway_id must be a number.");
        var g = await db.Giveaways.AsNoTracking().Where(x => x.Id == id && x.Status != GiveawayStatus.Draft).Select(x => new { x.Id }).FirstOrDefaultAsync(ct);
        if (g is null) return Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {id}.");
        return Ok(new CountAnswer(true, id, await db.GiveawayParticipants.CountAsync(p => p.GiveawayId == id, ct)));
    }

    internal static async Task<IResult> ListParticipants(string giveaway_id, BazaarDb db, CancellationToken ct, int page = 1, int page_size = 50)
    {
        if (!long.TryParse(giveaway_id, out var id)) return Fail(400, Codes.MissingField, "giveaway_id must be a number.");
        if (!await db.Giveaways.AnyAsync(x => x.Id == id && x.Status != GiveawayStatus.Draft, ct)) return Fail(404, Codes.GiveawayNotFound, $"There is no giveaway {id}.");
        page = Math.Max(1, page);
        page_size = Math.Clamp(page_size, 1, 200);
        var q = from p in db.GiveawayParticipants.AsNoTracking()
                join u in db.Users.AsNoTracking() on p.UserId equals u.Id
                where p.GiveawayId == id
                orderby p.Id
                select new { p, u };
        var total = await q.CountAsync(ct);
        var rows = await q.Skip((page - 1) * page_size).Take(page_size).ToListAsync(ct);
        return Ok(new ListAnswer(true, id, rows.Select(x => new ParticipantItem(x.p.Id, Tg(x.u), x.u.Username, x.u.FirstName, x.u.LastName, x.p.JoinedAt,
            x.p.SubscriptionCheckedAt)).ToList(), page, page_size, total));
    }
}
