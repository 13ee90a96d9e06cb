using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Broadcasts;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Guides;

public static partial class GuidesModule
{
    public static IServiceCollection AddGuides(this IServiceCollection services)
    {
        services.AddScoped<GuidesBot>();
        services.AddBotRoutes(GuidesBot.Register);
        services.AddScoped<IDemoSeed, GuideDemoSeed>();
        return services;
    }

    public static IEndpointRouteBuilder MapGuidesApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapAdminGroup("/guides", "Guides");
        g.MapGet("/", List).WithName("ListGuides").WithSummary("Help guides in their /help order");
        g.MapGet("/{topic}", Get).WithName("GetGuide").WithSummary("One guide, with its text rendered as the bot sends it");
        g.MapPost("/", Create).WithName("CreateGuide").WithSummary("Add a guide: a topic for /guide, titles and Markdown-like bodies in English and Russian");
        g.MapPut("/{topic}", Replace).WithName("UpdateGuide").WithSummary("Change a guide (the topic itself too, with a new \"topic\")");
        g.MapDelete("/{topic}", Delete).WithName("DeleteGuide").WithSummary("Remove a guide from /help");
        return app;
    }

    public sealed record GuideRequest(
        string? Topic,
        int Position,
        [property: JsonPropertyName("title_en")] string? TitleEn,
        [property: JsonPropertyName("title_ru")] string? TitleRu,
        [property: JsonPropertyName("body_en")] string? BodyEn,
        [property: JsonPropertyName("body_ru")] string? BodyRu);

    public sealed record GuideView(long Id, string Topic, int Position, [property: JsonPropertyName("title_en")] string TitleEn,
        [property: JsonPropertyName("title_ru")] string? TitleRu, [property: JsonPropertyName("body_en")] string BodyEn,
        [property: JsonPropertyName("body_ru")] string? BodyRu, [property: JsonPropertyName("html_en")] string HtmlEn,
        [property: JsonPropertyName("html_ru")] string HtmlRu, DateTime CreatedAt, DateTime UpdatedAt);

    private static GuideView View(Guide g) => new(g.Id, g.Topic, g.Position, g.TitleEn, g.TitleRu, g.BodyEn, g.BodyRu,
        GuideMarkup.ToHtml(g.BodyEn), GuideMarkup.ToHtml(g.Body(Languages.Russian)), g.CreatedAt, g.UpdatedAt);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex TopicPattern();

    /// <summary>Null when the guide can be stored and sent; the title is a button (64), the rendered body a message (4096 with its title).</summary>
    private static ProblemHttpResult? Check(GuideRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Topic)) return Problems.BadRequest("topic_required", "\"topic\" is required: what /guide <topic> takes.");
        if (!TopicPattern().IsMatch(r.Topic.Trim()))
            return Problems.BadRequest("invalid_topic", "\"topic\" is 1 to 32 lower-case letters, digits, '-' or '_', starting with a letter or digit.");
        if (string.IsNullOrWhiteSpace(r.TitleEn)) return Problems.BadRequest("title_required", "\"title_en\" is required (the topic's button in /help).");
        if (r.TitleEn.Trim().Length > 64 || (r.TitleRu?.Trim().Length ?? 0) > 64) return Problems.BadRequest("title_too_long", "A title may have at most 64 characters.");
        if (string.IsNullOrWhiteSpace(r.BodyEn)) return Problems.BadRequest("body_required", "\"body_en\" is required.");
        foreach (var body in new[] { r.BodyEn, r.BodyRu })
        {
            if (string.IsNullOrWhiteSpace(body)) continue;
            var html = GuideMarkup.ToHtml(body);
            if (body.Length > 8000 || Regex.Replace(html, "<[^>]+>", "").Length > BroadcastContent.MaxText - 100)
                return Problems.BadRequest("body_too_long", $"A guide must fit one message: at most {BroadcastContent.MaxText - 100} characters as shown.");
        }
        return null;
    }

    private static void Apply(Guide g, GuideRequest r, DateTime now)
    {
        g.Topic = r.Topic!.Trim();
        g.Position = r.Position;
        g.TitleEn = r.TitleEn!.Trim();
        g.TitleRu = string.IsNullOrWhiteSpace(r.TitleRu) ? null : r.TitleRu.Trim();
        g.BodyEn = r.BodyEn!.Trim();
        g.BodyRu = string.IsNullOrWhiteSpace(r.BodyRu) ? null : r.BodyRu.Trim();
        g.UpdatedAt = now;
    }

    internal static async Task<Ok<List<GuideView>>> List(BazaarDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.Guides.AsNoTracking().OrderBy(g => g.Position).ThenBy(g => g.Topic).ToListAsync(ct)).Select(View).ToList());

    internal static async Task<Results<Ok<GuideView>, ProblemHttpResult>> Get(string topic, BazaarDb db, CancellationToken ct) =>
        await db.Guides.AsNoTracking().FirstOrDefaultAsync(g => g.Topic == topic, ct) is { } g ? TypedResults.Ok(View(g)) : NotFound(topic);

    internal static async Task<Results<Created<GuideView>, ProblemHttpResult>> Create(GuideRequest request, BazaarDb db, WriteGate gate,
        TimeProvider clock, CancellationToken ct)
    {
        if (Check(request) is { } bad) return bad;
        var now = clock.GetUtcNow().UtcDateTime;
        var g = new Guide { Topic = "", TitleEn = "", BodyEn = "", CreatedAt = now };
        Apply(g, request, now);
        db.Guides.Add(g);
        if (await SaveAsync(db, gate, g.Topic, ct) is { } taken) return taken;
        return TypedResults.Created($"/api/v1/admin/guides/{g.Topic}", View(g));
    }

    internal static async Task<Results<Ok<GuideView>, ProblemHttpResult>> Replace(string topic, GuideRequest request, BazaarDb db, WriteGate gate,
        TimeProvider clock, CancellationToken ct)
    {
        var g = await db.Guides.FirstOrDefaultAsync(x => x.Topic == topic, ct);
        if (g is null) return NotFound(topic);
        if (Check(request with { Topic = request.Topic ?? topic }) is { } bad) return bad;
        Apply(g, request with { Topic = request.Topic ?? topic }, clock.GetUtcNow().UtcDateTime);
        if (await SaveAsync(db, gate, g.Topic, ct) is { } taken) return taken;
        return TypedResults.Ok(View(g));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string topic, BazaarDb db, WriteGate gate, CancellationToken ct)
    {
        int n;
        using (await gate.EnterAsync(ct)) n = await db.Guides.Where(g => g.Topic == topic).ExecuteDeleteAsync(ct);
        return n == 0 ? NotFound(topic) : TypedResults.NoContent();
    }

    /// <summary>The unique index decides whether the topic is free (two operators adding the same topic at once: one wins).</summary>
    private static async Task<ProblemHttpResult?> SaveAsync(BazaarDb db, WriteGate gate, string topic, CancellationToken ct)
    {
        try
        {
            using (await gate.EnterAsync(ct)) await db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            return Problems.Conflict("guide_exists", $"There is already a guide \"{topic}\".");
        }
    }

    private static ProblemHttpResult NotFound(string topic) => Problems.NotFound("guide_not_found", $"There is no guide \"{topic}\".");
}

/// <summary>Three guides, so /help shows its topics in the demo.</summary>
internal sealed class GuideDemoSeed(TimeProvider clock) : IDemoSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (await db.Guides.AnyAsync(ct)) return;
        var now = clock.GetUtcNow().UtcDateTime;
        db.Guides.AddRange(
            new Guide
            {
                Topic = "buying", Position = 10, TitleEn = "🛒 How to buy", TitleRu = "🛒 Как купить", CreatedAt = now, UpdatedAt = now,
                BodyEn = "# Buying\n- Open /shop and pick a product.\n- Tap **Buy**: the item is *reserved* for you for a few minutes.\n- Pay from your wallet; digital keys arrive in this chat at once.\n\nQuestions? Write to [support](https://example.com/support).",
                BodyRu = "# Покупка\n- Откройте /shop и выберите товар.\n- Нажмите **Купить**: товар *забронирован* за вами на несколько минут.\n- Оплатите с кошелька; цифровые ключи приходят в этот чат сразу.\n\nВопросы? Пишите в [поддержку](https://example.com/support).",
            },
            new Guide
            {
                Topic = "wallet", Position = 20, TitleEn = "👛 Wallet and deposits", TitleRu = "👛 Кошелёк и пополнение", CreatedAt = now, UpdatedAt = now,
                BodyEn = "# Wallet\nYour balance is shown by /balance.\n- Top up with crypto, a bank transfer or Telegram Stars.\n- Tap **History** under /balance to see every change.",
                BodyRu = "# Кошелёк\nБаланс показывает /balance.\n- Пополнить можно криптовалютой, банковским переводом или Telegram Stars.\n- Все операции — кнопка **История** под /balance.",
            },
            new Guide
            {
                Topic = "referrals", Position = 30, TitleEn = "🤝 Invite friends", TitleRu = "🤝 Пригласить друзей", CreatedAt = now, UpdatedAt = now,
                BodyEn = "# Referrals\nSend friends your link from /referral.\n- You earn a share of every deposit they make.\n- Higher _tiers_ unlock as your earnings grow; see /top.",
                BodyRu = "# Рефералы\nОтправьте друзьям ссылку из /referral.\n- Вы получаете долю с каждого их пополнения.\n- С ростом дохода открываются новые _уровни_; см. /top.",
            });
        await db.SaveChangesAsync(ct);
    }
}
