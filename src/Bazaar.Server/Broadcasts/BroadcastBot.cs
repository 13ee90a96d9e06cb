using System.Globalization;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Referrals;
using Microsoft.EntityFrameworkCore;
using Telegram.Bot.Extensions;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Broadcasts;

/// <summary>
/// /broadcast for admins: the message (formatted text or a photo with a caption) → the group → a test copy to the admin
/// and the recipient count → Send. The confirmation then becomes the progress message, with Pause, Resume and Cancel.
/// </summary>
public sealed class BroadcastBot(BazaarDb db, BroadcastService broadcasts, ReferralTiers tiers, BotPipeline pipeline)
{
    public const string Prefix = "bc:";
    public const string TextStep = "broadcast.text";

    public static void Register(BotRoutes r) => r
        .Command<BroadcastBot>("broadcast", (bot, ctx) => bot.StartAsync(ctx), hidden: true)
        .Step<BroadcastBot>(TextStep, (bot, ctx) => bot.TextAsync(ctx))
        .Callback<BroadcastBot>(Prefix, (bot, ctx) => bot.ButtonAsync(ctx));

    private static string F(BotContext ctx, Localized t, params object?[] args) => string.Format(CultureInfo.InvariantCulture, ctx.T(t), args);

    public async Task StartAsync(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            // Word for word what any unknown command gets, so nothing hints that /broadcast exists.
            ctx.Reply(F(ctx, ConversationTexts.UnknownCommand, ConversationTexts.Html(ctx.Command ?? "broadcast")) + "\n\n" +
                      ctx.T(ConversationTexts.AvailableCommands) + "\n" + pipeline.CommandList(ctx.Language));
            return;
        }
        await ctx.SetStepAsync(TextStep);
        ctx.Reply(ctx.T(BroadcastTexts.AskText));
    }

    public async Task TextAsync(BotContext ctx)
    {
        if (!ctx.IsAdmin || ctx.Message is not { } m) { await ctx.ClearStateAsync(); return; }
        var photo = m.Photo?.OrderByDescending(p => p.Width * p.Height).FirstOrDefault()?.FileId;
        var raw = m.Text ?? m.Caption;
        if (string.IsNullOrWhiteSpace(raw))
        {
            ctx.Reply(ctx.T(BroadcastTexts.TextMissing));
            return;
        }
        var html = HtmlText.ToHtml(raw, m.Text is not null ? m.Entities : m.CaptionEntities);
        if (BroadcastContent.Check(html, photo, null) is { } error)
        {
            ctx.Reply(F(ctx, BroadcastTexts.BadContent, ConversationTexts.Html(error.Detail)));
            return;
        }
        var b = broadcasts.Draft(html, photo, null, Segments.Spec.Of(Segments.All), false, $"bot:{ctx.User.Id}", ctx.User.Id);
        await db.SaveChangesAsync(ctx.CancellationToken);
        await ctx.ClearStateAsync();
        ctx.Reply(ctx.T(BroadcastTexts.ChooseSegment), SegmentKeyboard(ctx, b.Id));
    }

    private InlineKeyboardMarkup SegmentKeyboard(BotContext ctx, long id)
    {
        InlineKeyboardButton B(Localized label, string segment) => InlineKeyboardButton.WithCallbackData(ctx.T(label), $"{Prefix}seg:{id}:{segment}");
        var rows = new List<InlineKeyboardButton[]>
        {
            new[] { B(Segments.Label(Segments.All), Segments.All) },
            new[] { B(new("🇬🇧 English", "🇬🇧 English"), "language:en"), B(new("🇷🇺 Русский", "🇷🇺 Русский"), "language:ru") },
            new[] { B(Segments.Label(Segments.Purchased), Segments.Purchased), B(Segments.Label(Segments.NeverPurchased), Segments.NeverPurchased) },
            tiers.All.Select(t => InlineKeyboardButton.WithCallbackData(t.Badge, $"{Prefix}seg:{id}:tier:{t.Code}")).ToArray(),
            new[] { InlineKeyboardButton.WithCallbackData(ctx.T(BroadcastTexts.DiscardButton), $"{Prefix}drop:{id}") },
        };
        return new InlineKeyboardMarkup(rows);
    }

    public async Task ButtonAsync(BotContext ctx)
    {
        ctx.AnswerCallback();
        if (!ctx.IsAdmin)
        {
            ctx.Status = UpdateStatus.Ignored;
            return;
        }
        var parts = ctx.CallbackData![Prefix.Length..].Split(':', 3);
        if (parts.Length < 2 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return;
        var b = await db.Broadcasts.FirstOrDefaultAsync(x => x.Id == id, ctx.CancellationToken);
        if (b is null)
        {
            ctx.EditOrReply(F(ctx, BroadcastTexts.NotFound, id));
            return;
        }
        var ct = ctx.CancellationToken;
        switch (parts[0])
        {
            case "seg" when b.Status == BroadcastStatus.Draft && parts.Length == 3:
                var kv = parts[2].Split(':', 2);
                var spec = Segments.Spec.Of(kv[0], language: kv.ElementAtOrDefault(1), tier: kv.ElementAtOrDefault(1));
                if (Segments.Check(spec, tiers) is not null) return;
                b.Segment = spec.Kind;
                b.SegmentValue = spec.Value;
                var count = await broadcasts.CountAsync(spec, ct);
                var label = broadcasts.SegmentLabel(b, ctx.Language);
                if (count == 0)
                {
                    ctx.EditOrReply(F(ctx, BroadcastTexts.NoRecipients, label), SegmentKeyboard(ctx, id));
                    return;
                }
                // The test copy first, then the question under it.
                await broadcasts.SendTestAsync(b, ct);
                ctx.Reply(ctx.T(BroadcastTexts.TestHeader));
                ctx.Reply(F(ctx, BroadcastTexts.Confirm, id, label, count), new InlineKeyboardMarkup([[
                    InlineKeyboardButton.WithCallbackData(ctx.T(BroadcastTexts.SendButton), $"{Prefix}go:{id}"),
                    InlineKeyboardButton.WithCallbackData(ctx.T(BroadcastTexts.DiscardButton), $"{Prefix}drop:{id}")]]));
                return;
            case "go" when b.Status == BroadcastStatus.Draft:
                b.AdminUserId = ctx.User.Id;
                await broadcasts.StartAsync(b, ct, ctx.Update.CallbackQuery?.Message?.MessageId);
                return;
            case "drop" when b.Status == BroadcastStatus.Draft:
                await broadcasts.CancelAsync(id, ct);
                ctx.EditOrReply(F(ctx, BroadcastTexts.Discarded, id));
                return;
            case "pause" or "resume" or "cancel" when b.Status is BroadcastStatus.Running or BroadcastStatus.Paused:
                var change = parts[0] switch
                {
                    "pause" => await broadcasts.PauseAsync(id, ct),
                    "resume" => await broadcasts.ResumeAsync(id, ct),
                    _ => await broadcasts.CancelAsync(id, ct),
                };
                if (change != BroadcastChange.Done) ctx.Reply(F(ctx, BroadcastTexts.NotChangeable, id, ctx.T(BroadcastTexts.Status(b.Status))));
                return;
            default:
                ctx.Reply(F(ctx, BroadcastTexts.NotChangeable, id, ctx.T(BroadcastTexts.Status(b.Status))));
                return;
        }
    }
}
