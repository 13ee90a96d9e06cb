using System.Security.Claims;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Broadcasts;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.ChannelPosts;

public static partial class ChannelPostsModule
{
    public static IServiceCollection AddChannelPosts(this IServiceCollection services)
    {
        services.AddScoped<ChannelPostService>();
        services.AddJobHandler<ChannelPostPublishJob>(ChannelPostService.PublishJob);
        services.AddJobHandler<ChannelPostSettleJob>(ChannelPostService.SettleJob);
        return services;
    }

    public static IEndpointRouteBuilder MapChannelPostsApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapAdminGroup("/channel-posts", "Channel posts");
        g.MapPost("/", Create).WithName("CreateChannelPost")
            .WithSummary("Schedule a post (Telegram HTML text, optional photo and URL buttons) to a channel the bot administers, optionally pinned");
        g.MapGet("/", List).WithName("ListChannelPosts").WithSummary("Channel posts, the latest post time first; filter by status");
        g.MapGet("/{id:long}", Get).WithName("GetChannelPost").WithSummary("One channel post, with its Telegram message id once posted");
        g.MapPatch("/{id:long}", Update).WithName("UpdateChannelPost")
            .WithSummary("Change a post: anything before it is posted; afterwards its text, buttons and pin (edited in the channel)");
        g.MapDelete("/{id:long}", Delete).WithName("DeleteChannelPost")
            .WithSummary("Delete a post: a scheduled one never goes out; a posted one is deleted from the channel");
        return app;
    }

    public sealed record CreateChannelPostRequest(
        [property: JsonPropertyName("chat_id")] string? ChatId,
        string? Text,
        string? Photo,
        List<List<BroadcastButton>>? Buttons,
        bool Pin = false,
        [property: JsonPropertyName("post_at")] DateTime? PostAt = null);

    /// <summary>Only the fields given change. <c>buttons: []</c> removes the buttons; <c>photo: ""</c> removes the photo (before posting).</summary>
    public sealed record UpdateChannelPostRequest(
        [property: JsonPropertyName("chat_id")] string? ChatId = null,
        string? Text = null,
        string? Photo = null,
        List<List<BroadcastButton>>? Buttons = null,
        bool? Pin = null,
        [property: JsonPropertyName("post_at")] DateTime? PostAt = null);

    public sealed record ChannelPostView(long Id, [property: JsonPropertyName("chat_id")] string ChatId, string Text, string? Photo,
        IReadOnlyList<IReadOnlyList<BroadcastButton>> Buttons, bool Pin, [property: JsonPropertyName("post_at")] DateTime PostAt,
        ChannelPostStatus Status, [property: JsonPropertyName("message_id")] int? MessageId, string? Error, string CreatedBy,
        DateTime CreatedAt, DateTime UpdatedAt, DateTime? PostedAt, DateTime? DeletedAt);

    private static ChannelPostView View(ChannelPost p) => new(p.Id, p.ChatId, p.Text, p.Photo, p.ButtonRows(), p.Pin, p.PostAt, p.Status,
        p.MessageId, p.Error, p.CreatedBy, p.CreatedAt, p.UpdatedAt, p.PostedAt, p.DeletedAt);

    // A channel's numeric id (channels and supergroups are -100…) or its public @username.
    [GeneratedRegex(@"^(-\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")]
    private static partial Regex ChatIdPattern();

    /// <summary>A post may be scheduled up to this long in the past (a clock a little behind); older is a mistake.</summary>
    private static readonly TimeSpan PastTolerance = TimeSpan.FromMinutes(1);

    private static ProblemHttpResult? CheckChat(string? chatId) =>
        string.IsNullOrWhiteSpace(chatId) ? Problems.BadRequest("chat_id_required", "\"chat_id\" is required: the channel's id (-100…) or @username.")
        : !ChatIdPattern().IsMatch(chatId.Trim()) ? Problems.BadRequest("invalid_chat_id", "\"chat_id\" must be a channel's id (-100…) or its @username.")
        : null;

    private static ProblemHttpResult? CheckContent(string? text, string? photo, IReadOnlyList<IReadOnlyList<BroadcastButton>>? buttons)
    {
        if (buttons is not null && buttons.SelectMany(r => r).Any(x => x is null)) return Problems.BadRequest("invalid_buttons", "A button is null.");
        return BroadcastContent.Check(text, photo, buttons) is { } bad ? Problems.BadRequest(bad.Code, bad.Detail) : null;
    }

    private static ProblemHttpResult? CheckTime(DateTime at, DateTime now) =>
        at.ToUniversalTime() < now - PastTolerance ? Problems.BadRequest("post_at_in_past", "\"post_at\" is in the past; give a future time, or leave it out to post now.") : null;

    private static IReadOnlyList<IReadOnlyList<BroadcastButton>>? Rows(List<List<BroadcastButton>>? buttons) =>
        buttons?.Select(r => (IReadOnlyList<BroadcastButton>)(r ?? [])).ToList();

    internal static async Task<Results<Created<ChannelPostView>, ProblemHttpResult>> Create(CreateChannelPostRequest request, BazaarDb db,
        ChannelPostService posts, WriteGate gate, TimeProvider clock, ClaimsPrincipal user, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var photo = string.IsNullOrWhiteSpace(request.Photo) ? null : request.Photo.Trim();
        var buttons = Rows(request.Buttons);
        if ((CheckChat(request.ChatId) ?? CheckContent(request.Text, photo, buttons)) is { } bad) return bad;
        var at = request.PostAt?.ToUniversalTime() ?? now;
        if (CheckTime(at, now) is { } late) return late;

        var p = new ChannelPost
        {
            ChatId = request.ChatId!.Trim(), Text = request.Text!, Photo = photo, Buttons = BroadcastContent.ButtonsJson(buttons), Pin = request.Pin,
            PostAt = at < now ? now : at, CreatedBy = CreatedBy(user),
            CreatedAt = now, UpdatedAt = now,
        };
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.ChannelPosts.Add(p);
            await db.SaveChangesAsync(ct);
            posts.Schedule(p);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return TypedResults.Created($"/api/v1/admin/channel-posts/{p.Id}", View(p));
    }

    internal static async Task<Ok<Paged<ChannelPostView>>> List(BazaarDb db, CancellationToken ct, int page = 1, int pageSize = 50,
        ChannelPostStatus? status = null)
    {
        var q = db.ChannelPosts.AsNoTracking();
        if (status is { } s) q = q.Where(p => p.Status == s);
        var paged = await Paged<ChannelPost>.Of(q.OrderByDescending(p => p.PostAt).ThenByDescending(p => p.Id), page, pageSize, ct);
        return TypedResults.Ok(new Paged<ChannelPostView>(paged.Items.Select(View).ToList(), paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<ChannelPostView>, ProblemHttpResult>> Get(long id, BazaarDb db, ChannelPostService posts, CancellationToken ct)
    {
        if (await posts.ReconcileAsync(id, ct) is null) return NotFound(id);
        return TypedResults.Ok(View(await db.ChannelPosts.AsNoTracking().FirstAsync(x => x.Id == id, ct)));
    }

    internal static async Task<Results<Ok<ChannelPostView>, ProblemHttpResult>> Update(long id, UpdateChannelPostRequest request, BazaarDb db,
        ChannelPostService posts, WriteGate gate, TimeProvider clock, CancellationToken ct)
    {
        if (await posts.ReconcileAsync(id, ct) is null) return NotFound(id);
        var now = clock.GetUtcNow().UtcDateTime;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var p = await db.ChannelPosts.FirstAsync(x => x.Id == id, ct);
            var posted = p.Status == ChannelPostStatus.Posted;
            switch (p.Status)
            {
                case ChannelPostStatus.Sending:
                    return Problems.Conflict("post_sending", $"Post {id} is being sent right now; try again in a few seconds.");
                case ChannelPostStatus.Deleted:
                    return Problems.Conflict("post_deleted", $"Post {id} was deleted.");
                case ChannelPostStatus.Posted when request.ChatId is not null || request.PostAt is not null || request.Photo is not null:
                    return Problems.Conflict("already_posted",
                        $"Post {id} is already in the channel: its text, buttons and pin can change; delete it and schedule a new one to change the channel, time or photo.");
            }
            if (request.ChatId is not null && CheckChat(request.ChatId) is { } badChat) return badChat;
            var photo = request.Photo is null ? p.Photo : string.IsNullOrWhiteSpace(request.Photo) ? null : request.Photo.Trim();
            var buttons = request.Buttons is null ? p.ButtonRows() : Rows(request.Buttons);
            var text = request.Text ?? p.Text;
            if (CheckContent(text, photo, buttons) is { } bad) return bad;
            if (request.PostAt is { } at && CheckTime(at, now) is { } late) return late;

            var pinChanged = request.Pin is { } pin && pin != p.Pin;
            var contentChanged = text != p.Text || BroadcastContent.ButtonsJson(buttons) != p.Buttons;
            if (request.ChatId is not null) p.ChatId = request.ChatId.Trim();
            p.Text = text;
            p.Photo = photo;
            p.Buttons = BroadcastContent.ButtonsJson(buttons);
            if (request.Pin is { } newPin) p.Pin = newPin;
            p.UpdatedAt = now;
            if (posted)
            {
                if (contentChanged) posts.EnqueueEdit(p);
                if (pinChanged) posts.EnqueuePin(p, p.Pin);
            }
            else
            {
                // Scheduled, or Failed and tried again: a fresh version with its own job; an older version's job posts nothing.
                var reschedule = p.Status == ChannelPostStatus.Failed || (request.PostAt is { } newAt && newAt.ToUniversalTime() != p.PostAt);
                if (request.PostAt is { } t) p.PostAt = t.ToUniversalTime() < now ? now : t.ToUniversalTime();
                if (reschedule)
                {
                    p.Version++;
                    p.Status = ChannelPostStatus.Scheduled;
                    p.Error = null;
                    p.OutboxMessageId = null;
                    posts.Schedule(p);
                }
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return TypedResults.Ok(View(p));
        }
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(long id, BazaarDb db, ChannelPostService posts, WriteGate gate,
        TimeProvider clock, CancellationToken ct)
    {
        if (await posts.ReconcileAsync(id, ct) is null) return NotFound(id);
        var now = clock.GetUtcNow().UtcDateTime;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var p = await db.ChannelPosts.FirstAsync(x => x.Id == id, ct);
            switch (p.Status)
            {
                case ChannelPostStatus.Sending:
                    return Problems.Conflict("post_sending", $"Post {id} is being sent right now; try again in a few seconds.");
                case ChannelPostStatus.Deleted:
                    return Problems.Conflict("post_deleted", $"Post {id} was already deleted.");
                case ChannelPostStatus.Posted:
                    posts.EnqueueDelete(p);
                    break;
            }
            // Its publish job, if still waiting, finds it no longer Scheduled and posts nothing.
            p.Status = ChannelPostStatus.Deleted;
            p.DeletedAt = now;
            p.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return TypedResults.NoContent();
    }

    /// <summary>The API key's name and id; the dashboard's operator ("dashboard:name") has no key.</summary>
    private static string CreatedBy(ClaimsPrincipal user) =>
        user.FindFirstValue("api_key_id") is { } key ? $"{user.Identity?.Name ?? "api"} (key {key})" : user.Identity?.Name ?? "api";

    private static ProblemHttpResult NotFound(long id) => Problems.NotFound("channel_post_not_found", $"There is no channel post {id}.");
}
