using System.Globalization;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Guides;

/// <summary>/help's topic buttons, /guide &lt;topic&gt;, and the topic buttons themselves (callback "guide:&lt;topic&gt;").</summary>
public sealed class GuidesBot(BazaarDb db)
{
    public const string Prefix = "guide:";

    public static void Register(BotRoutes r) => r
        .Command<GuidesBot>("guide", (bot, ctx) => bot.GuideAsync(ctx), GuideTexts.GuideCommand)
        .Callback<GuidesBot>(Prefix, (bot, ctx) => bot.ButtonAsync(ctx))
        .HelpMenu<GuidesBot>((bot, ctx) => bot.HelpSectionAsync(ctx));

    private Task<List<Guide>> TopicsAsync(CancellationToken ct) =>
        db.Guides.AsNoTracking().OrderBy(g => g.Position).ThenBy(g => g.Topic).ToListAsync(ct);

    private static InlineKeyboardButton[][] TopicRows(BotContext ctx, IEnumerable<Guide> guides) =>
        guides.Select(g => InlineKeyboardButton.WithCallbackData(g.Title(ctx.Language), Prefix + g.Topic)).Chunk(2).ToArray();

    public async Task<BotRoutes.HelpSection?> HelpSectionAsync(BotContext ctx)
    {
        var guides = await TopicsAsync(ctx.CancellationToken);
        return guides.Count == 0 ? null : new BotRoutes.HelpSection(ctx.T(GuideTexts.HelpLine), TopicRows(ctx, guides));
    }

    public async Task GuideAsync(BotContext ctx)
    {
        var topic = ctx.Args.Trim().TrimStart('/').ToLowerInvariant();
        var guides = await TopicsAsync(ctx.CancellationToken);
        if (guides.Count == 0)
        {
            ctx.Reply(ctx.T(GuideTexts.NoGuides));
            return;
        }
        if (topic.Length == 0)
        {
            ctx.Reply(ctx.T(GuideTexts.Menu), new InlineKeyboardMarkup(TopicRows(ctx, guides)));
            return;
        }
        var guide = guides.FirstOrDefault(g => g.Topic == topic);
        if (guide is null)
        {
            var list = string.Join(", ", guides.Select(g => g.Topic));
            ctx.Reply(string.Format(CultureInfo.InvariantCulture, ctx.T(GuideTexts.Unknown), ConversationTexts.Html(Shorten(topic)), list),
                new InlineKeyboardMarkup(TopicRows(ctx, guides)));
            return;
        }
        ctx.Reply(Render(ctx, guide), BackKeyboard(ctx));
    }

    public async Task ButtonAsync(BotContext ctx)
    {
        ctx.AnswerCallback();
        var topic = ctx.CallbackData![Prefix.Length..];
        var guides = await TopicsAsync(ctx.CancellationToken);
        var guide = guides.FirstOrDefault(g => g.Topic == topic);
        if (guide is null)
        {
            // The "All topics" button, or a topic removed since the menu was sent.
            ctx.EditOrReply(guides.Count == 0 ? ctx.T(GuideTexts.NoGuides) : ctx.T(GuideTexts.Menu),
                guides.Count == 0 ? null : new InlineKeyboardMarkup(TopicRows(ctx, guides)));
            return;
        }
        ctx.EditOrReply(Render(ctx, guide), BackKeyboard(ctx));
    }

    private static string Render(BotContext ctx, Guide g) => $"📖 <b>{ConversationTexts.Html(g.Title(ctx.Language))}</b>\n\n{GuideMarkup.ToHtml(g.Body(ctx.Language))}";

    private static InlineKeyboardMarkup BackKeyboard(BotContext ctx) =>
        new([[InlineKeyboardButton.WithCallbackData(ctx.T(GuideTexts.AllTopics), Prefix)]]);

    private static string Shorten(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
