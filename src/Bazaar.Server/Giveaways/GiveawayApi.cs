using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Giveaways;

/// <summary>The operators' giveaways API: CRUD, publish, draw, winners; and the public draw data anyone can verify.</summary>
public static class GiveawayApi
{
    public static IEndpointRouteBuilder MapGiveawayApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/giveaways").RequireAuthorization(AdminModule.Policy).WithTags("Giveaways");
        g.MapGet("/", List).WithName("ListGiveaways").WithSummary("Giveaways, newest first, paged");
        g.MapGet("/{id:long}", Get).WithName("GetGiveaway").WithSummary("One giveaway with its rules and commitment");
        g.MapPost("/", Create).WithName("CreateGiveaway").ProducesProblem(422).ProducesProblem(503)
            .WithSummary("Create a giveaway (Draft); the seed is committed to at once; the bot must be an admin in each required channel");
        g.MapPut("/{id:long}", Update).WithName("UpdateGiveaway").ProducesProblem(422).ProducesProblem(503)
            .WithSummary("Change a giveaway that has not been drawn; the bot must be an admin in each required channel");
        g.MapDelete("/{id:long}", Delete).WithName("DeleteGiveaway").WithSummary("Delete a giveaway nobody joined; otherwise it is cancelled");
        g.MapPost("/{id:long}/publish", Publish).WithName("PublishGiveaway").ProducesProblem(422).ProducesProblem(503)
            .WithSummary("Open it for joining and post it with a Join button into a channel (where the bot must be allowed to post)");
        g.MapPost("/{id:long}/draw", Draw).WithName("DrawGiveaway").WithSummary("Draw the winners now (re-checking their subscriptions) and notify them");
        g.MapGet("/{id:long}/winners", Winners).WithName("GiveawayWinners").WithSummary("The winners with their delivery status (who still needs to be contacted)");
        g.MapGet("/{id:long}/draw", DrawData).AllowAnonymous().WithName("GiveawayDrawData")
            .WithSummary("Public: commitment, seed, beacon, participant-list hash, eligible ids, winners and re-rolls, to recompute the draw (verify-draw)");
        return app;
    }

    public sealed record ChannelRequest(string ChatId, string Title, string? Link);
    public sealed record GiveawayRequest(string Title, string? Description, string Prize, int WinnerCount, DateTime StartsAt, DateTime EndsAt,
        int? EndAfterParticipants = null, string? PhotoUrl = null, IReadOnlyList<ChannelRequest>? RequiredChannels = null, string? BeaconSource = null,
        bool NotifyNonWinners = false);
    public sealed record PublishRequest(string ChatId, string Channel = ChatChannel.Telegram);
    public sealed record GiveawayView(long Id, string Title, string Description, string Prize, string? PhotoUrl, int WinnerCount, DateTime StartsAt,
        DateTime EndsAt, int? EndAfterParticipants, string Status, int ParticipantCount, string Commitment, string? BeaconSource, string? Beacon,
        bool NotifyNonWinners, IReadOnlyList<ChannelRequest> RequiredChannels, string? PostChatId, int? PostMessageId, DateTime CreatedAt,
        DateTime? DrawnAt, string JoinLink);
    public sealed record WinnerView(long ParticipantId, long UserId, string? Username, string Name, int Position, DateTime SelectedAt,
        string Delivery, int DeliveryAttempts, string? DeliveryError, DateTime? DeliveryUpdatedAt);

    internal static GiveawayView View(Giveaway g) => new(g.Id, g.Title, g.Description, g.Prize, g.PhotoUrl, g.WinnerCount, g.StartsAt, g.EndsAt,
        g.EndAfterParticipants, g.Status.ToString(), g.ParticipantCount, g.Commitment, g.BeaconSource, g.Beacon, g.NotifyNonWinners,
        g.RequiredChannels.Select(c => new ChannelRequest(c.ChatId, c.Title, c.Link)).ToList(), g.PostChatId, g.PostMessageId, g.CreatedAt, g.DrawnAt,
        "/start " + GiveawayBot.StartPrefix + g.Id);

    private static ProblemHttpResult? Validate(GiveawayRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Title) || r.Title.Length > 200) return Problems.BadRequest("title_invalid", "Give a title of 1 to 200 characters.");
        if (string.IsNullOrWhiteSpace(r.Prize) || r.Prize.Length > 1000) return Problems.BadRequest("prize_invalid", "Describe the prize (1 to 1000 characters).");
        if ((r.Description?.Length ?? 0) > 4000) return Problems.BadRequest("description_invalid", "The description is at most 4000 characters.");
        if (r.WinnerCount is < 1 or > 10_000) return Problems.BadRequest("winner_count_invalid", "The winner count is 1 to 10000.");
        if (r.EndsAt <= r.StartsAt) return Problems.BadRequest("time_invalid", "ends_at must be after starts_at.");
        if (r.EndAfterParticipants is < 1) return Problems.BadRequest("end_after_invalid", "end_after_participants is at least 1 (or null).");
        if (!Beacons.IsValidSource(r.BeaconSource)) return Problems.BadRequest("beacon_invalid", "beacon_source is bitcoin:block:<height> or null.");
        if (r.RequiredChannels?.Any(c => string.IsNullOrWhiteSpace(c.ChatId) || string.IsNullOrWhiteSpace(c.Title)) == true)
            return Problems.BadRequest("channel_invalid", "Each required channel needs a chat_id (-100… or @name) and a title.");
        return null;
    }

    public sealed record NotAdminChannel(string ChatId, string Title, string Status);

    /// <summary>
    /// The bot must be an admin in every required channel, or it cannot check participants' subscriptions there: asked
    /// as /newgiveaway asks (getChatMember with the bot's id, <see cref="ChatMembers.NotAdminInAsync"/>), outside any
    /// transaction. 422 <c>bot_not_admin</c> lists the channels; Telegram not answering is 503 <c>telegram_unavailable</c>.
    /// </summary>
    private static async Task<ProblemHttpResult?> CheckBotIsAdminAsync(GiveawayRequest r, ChatMembers members, CancellationToken ct)
    {
        if (r.RequiredChannels is not { Count: > 0 } channels) return null;
        List<BotChatStatus> notAdmin;
        try { notAdmin = await members.NotAdminInAsync(channels.Select(c => c.ChatId), ct); }
        catch (Exception e) when (IsTelegramDown(e, ct)) { return TelegramDown(e); }
        if (notAdmin.Count == 0) return null;
        var named = notAdmin.Select(n => channels.First(c => string.Equals(c.ChatId.Trim(), n.ChatId, StringComparison.OrdinalIgnoreCase))).ToList();
        return TypedResults.Problem(statusCode: 422, title: "Unprocessable",
            detail: $"The bot is not an admin in: {string.Join(", ", named.Select(c => c.ChatId.Trim()))}. Add it there as an administrator, then try again.",
            extensions: new Dictionary<string, object?>
            {
                ["code"] = "bot_not_admin",
                ["channels"] = notAdmin.Zip(named, (n, c) => new NotAdminChannel(n.ChatId, c.Title, n.Status)).ToList(),
            });
    }

    /// <summary>
    /// The post goes out through the outbox, so the bot must be able to post in the Telegram chat (an administrator
    /// with can_post_messages in a channel), as /newgiveaway checks too. Sandbox chats are the sandbox's own.
    /// </summary>
    private static async Task<ProblemHttpResult?> CheckBotCanPostAsync(PublishRequest r, ChatMembers members, CancellationToken ct)
    {
        if (r.Channel != ChatChannel.Telegram) return null;
        BotChatStatus status;
        try { status = await members.BotStatusAsync(ChatChannel.Telegram, r.ChatId.Trim(), ct); }
        catch (Exception e) when (IsTelegramDown(e, ct)) { return TelegramDown(e); }
        return status.CanPost ? null : Problems.Unprocessable("bot_cannot_post",
            $"The bot cannot post in {r.ChatId.Trim()} ({status.Status}): make it an administrator allowed to post there, then publish again.");
    }

    private static bool IsTelegramDown(Exception e, CancellationToken ct) =>
        e is Telegram.Bot.Exceptions.RequestException or HttpRequestException || e is TaskCanceledException && !ct.IsCancellationRequested;

    private static ProblemHttpResult TelegramDown(Exception e) => Problems.Make(503, "Service unavailable", "telegram_unavailable",
        $"Telegram did not answer whether the bot is an admin there ({e.Message}); try again shortly.");

    private static void Apply(Giveaway g, GiveawayRequest r)
    {
        g.Title = r.Title.Trim();
        g.Description = r.Description?.Trim() ?? "";
        g.Prize = r.Prize.Trim();
        g.PhotoUrl = string.IsNullOrWhiteSpace(r.PhotoUrl) ? null : r.PhotoUrl.Trim();
        g.WinnerCount = r.WinnerCount;
        g.StartsAt = r.StartsAt.ToUniversalTime();
        g.EndsAt = r.EndsAt.ToUniversalTime();
        g.EndAfterParticipants = r.EndAfterParticipants;
        g.BeaconSource = r.BeaconSource;
        g.NotifyNonWinners = r.NotifyNonWinners;
        g.RequiredChannels.Clear();
        foreach (var c in r.RequiredChannels ?? [])
            g.RequiredChannels.Add(new GiveawayChannel { ChatId = c.ChatId.Trim(), Title = c.Title.Trim(), Link = c.Link?.Trim() });
    }

    /// <summary>A new giveaway with a fresh seed and its published commitment.</summary>
    public static Giveaway New(GiveawayRequest r, DateTime now)
    {
        var seed = FairDraw.NewSeed();
        var g = new Giveaway { Title = "", Prize = "", Commitment = FairDraw.Commitment(seed), SeedHex = Convert.ToHexStringLower(seed), CreatedAt = now };
        Apply(g, r);
        return g;
    }

    internal static async Task<Ok<Paged<GiveawayView>>> List(BazaarDb db, CancellationToken ct, int page = 1, int pageSize = 50)
    {
        var paged = await Paged<Giveaway>.Of(db.Giveaways.AsNoTracking().Include(g => g.RequiredChannels).OrderByDescending(g => g.Id), page, pageSize, ct);
        return TypedResults.Ok(new Paged<GiveawayView>(paged.Items.Select(View).ToList(), paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<GiveawayView>, ProblemHttpResult>> Get(long id, BazaarDb db, CancellationToken ct) =>
        await db.Giveaways.AsNoTracking().Include(g => g.RequiredChannels).FirstOrDefaultAsync(g => g.Id == id, ct) is { } g
            ? TypedResults.Ok(View(g)) : NotFound(id);

    private static ProblemHttpResult NotFound(long id) => Problems.NotFound("giveaway_not_found", $"There is no giveaway {id}.");

    internal static async Task<Results<Created<GiveawayView>, ProblemHttpResult>> Create(GiveawayRequest request, BazaarDb db, ChatMembers members,
        TimeProvider clock, CancellationToken ct)
    {
        if (Validate(request) is { } bad) return bad;
        if (await CheckBotIsAdminAsync(request, members, ct) is { } notAdmin) return notAdmin;
        var g = New(request, clock.GetUtcNow().UtcDateTime);
        db.Giveaways.Add(g);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/giveaways/{g.Id}", View(g));
    }

    internal static async Task<Results<Ok<GiveawayView>, ProblemHttpResult>> Update(long id, GiveawayRequest request, BazaarDb db, ChatMembers members,
        CancellationToken ct)
    {
        if (Validate(request) is { } bad) return bad;
        var g = await db.Giveaways.Include(x => x.RequiredChannels).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (g is null) return NotFound(id);
        if (g.Status is GiveawayStatus.Drawn or GiveawayStatus.Cancelled)
            return Problems.Conflict("giveaway_closed", $"Giveaway {id} is {g.Status.ToString().ToLowerInvariant()} and can no longer change.");
        if (await CheckBotIsAdminAsync(request, members, ct) is { } notAdmin) return notAdmin;
        Apply(g, request);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(g));
    }

    internal static async Task<Results<NoContent, Ok<GiveawayView>, ProblemHttpResult>> Delete(long id, BazaarDb db, CancellationToken ct)
    {
        var g = await db.Giveaways.Include(x => x.RequiredChannels).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (g is null) return NotFound(id);
        if (g.ParticipantCount == 0 && g.Status != GiveawayStatus.Drawn)
        {
            db.Giveaways.Remove(g);
            await db.SaveChangesAsync(ct);
            return TypedResults.NoContent();
        }
        if (g.Status == GiveawayStatus.Drawn) return Problems.Conflict("giveaway_closed", $"Giveaway {id} has been drawn; its record is kept.");
        g.Status = GiveawayStatus.Cancelled;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(g));
    }

    internal static async Task<Results<Ok<GiveawayView>, ProblemHttpResult>> Publish(long id, PublishRequest request, BazaarDb db, GiveawayPosts posts,
        ChatMembers members, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.ChatId)) return Problems.BadRequest("chat_id_required", "Give the chat_id of the channel to post in.");
        if (request.Channel is not (ChatChannel.Telegram or ChatChannel.Sandbox))
            return Problems.BadRequest("channel_invalid", "channel is telegram or sandbox.");
        var g = await db.Giveaways.Include(x => x.RequiredChannels).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (g is null) return NotFound(id);
        if (g.Status is GiveawayStatus.Drawn or GiveawayStatus.Cancelled)
            return Problems.Conflict("giveaway_closed", $"Giveaway {id} is {g.Status.ToString().ToLowerInvariant()}.");
        if (await CheckBotCanPostAsync(request, members, ct) is { } cannot) return cannot;
        g.Status = GiveawayStatus.Published;
        posts.Publish(g, request.Channel, request.ChatId.Trim());
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(g));
    }

    internal static async Task<Results<JsonHttpResult<PublishedDraw>, ProblemHttpResult>> Draw(long id, WinnerDrawing drawing, CancellationToken ct)
    {
        var r = await drawing.DrawAsync(id, null, ct);
        return r.Kind switch
        {
            DrawOutcomeKind.Drawn or DrawOutcomeKind.AlreadyDrawn => TypedResults.Json(WinnerDrawing.Publish(r.Giveaway!, r.Draw), DrawVerifier.Json),
            DrawOutcomeKind.NotFound => NotFound(id),
            DrawOutcomeKind.NoParticipants => Problems.BadRequest("no_participants", $"Nobody has joined giveaway {id} yet."),
            DrawOutcomeKind.BeaconNotReady => Problems.Conflict("beacon_not_ready", r.Detail!),
            _ => Problems.Conflict("giveaway_not_open", $"Giveaway {id} is {r.Giveaway!.Status.ToString().ToLowerInvariant()}; publish it first."),
        };
    }

    internal static async Task<Results<JsonHttpResult<PublishedDraw>, ProblemHttpResult>> DrawData(long id, BazaarDb db, CancellationToken ct)
    {
        var g = await db.Giveaways.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.Status != GiveawayStatus.Draft, ct);
        if (g is null) return NotFound(id);
        var d = g.Status == GiveawayStatus.Drawn ? await db.WinnerDraws.AsNoTracking().FirstOrDefaultAsync(x => x.GiveawayId == id, ct) : null;
        // snake_case, the shape verify-draw reads.
        return TypedResults.Json(WinnerDrawing.Publish(g, d), DrawVerifier.Json);
    }

    internal static async Task<Results<Ok<List<WinnerView>>, ProblemHttpResult>> Winners(long id, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Giveaways.AnyAsync(g => g.Id == id, ct)) return NotFound(id);
        await WinnerDeliveryJob.SyncAsync(db, clock.GetUtcNow().UtcDateTime, ct);
        var rows = await (from w in db.GiveawayWinners.AsNoTracking()
                          join u in db.Users.AsNoTracking() on w.UserId equals u.Id
                          where w.GiveawayId == id
                          orderby w.Position
                          select new { w, u }).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(x => new WinnerView(x.w.ParticipantId, long.TryParse(x.u.ExternalId, out var e) ? e : x.u.Id, x.u.Username,
            x.u.DisplayName, x.w.Position, x.w.SelectedAt, x.w.Delivery.ToString(), x.w.DeliveryAttempts, x.w.DeliveryError, x.w.DeliveryUpdatedAt)).ToList());
    }
}
