using System.Globalization;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// /admin in the bot for the operators in Admin:TelegramIds: a menu of the daily work, each entry calling the feature's
/// own admin handler (pending deposits are Payments' /deposits). Everyone else gets the ordinary unknown-command reply.
/// </summary>
public sealed class AdminBot(BazaarDb db, BotPipeline pipeline, TimeProvider clock, IOptions<ShopCurrencyOptions> shop)
{
    public const string Prefix = "admin:";

    public static void Register(BotRoutes r) => r
        .Command<AdminBot>("admin", (bot, ctx) => bot.MenuAsync(ctx), hidden: true)
        .Callback<AdminBot>(Prefix, (bot, ctx) => bot.ButtonAsync(ctx));

    public Task MenuAsync(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            // Word for word what any unknown command gets, so nothing hints that /admin exists.
            ctx.Reply(string.Format(ctx.T(ConversationTexts.UnknownCommand), ConversationTexts.Html(ctx.Command ?? "admin")) + "\n\n" +
                      ctx.T(ConversationTexts.AvailableCommands) + "\n" + pipeline.CommandList(ctx.Language));
            return Task.CompletedTask;
        }
        ctx.Reply(ctx.T(DashboardTexts.AdminMenu), Menu(ctx));
        return Task.CompletedTask;
    }

    private static InlineKeyboardMarkup Menu(BotContext ctx) => new(new[]
    {
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.PendingDeposits), Prefix + "deposits") },
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.QuickStats), Prefix + "stats") },
    });

    public async Task ButtonAsync(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.AnswerCallback();
            ctx.Status = UpdateStatus.Ignored;
            return;
        }
        ctx.AnswerCallback();
        switch (ctx.CallbackData![Prefix.Length..])
        {
            case "deposits":
                await DepositBot.ListPending(ctx);
                break;
            case "stats":
                ctx.EditOrReply(await StatsAsync(ctx.Language, ctx.CancellationToken),
                    new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.Back), Prefix + "menu")));
                break;
            default:
                ctx.EditOrReply(ctx.T(DashboardTexts.AdminMenu), Menu(ctx));
                break;
        }
    }

    public async Task<string> StatsAsync(string language, CancellationToken ct)
    {
        var today = clock.GetUtcNow().UtcDateTime.Date;
        var currency = Currencies.Normalize(shop.Value.Currency);
        var users = await db.Users.CountAsync(u => u.CreatedAt >= today, ct);
        var deposits = await db.Payments.AsNoTracking()
            .Where(p => p.Status == PaymentStatus.Completed && p.Purpose == PaymentPurpose.WalletTopup && p.Currency == currency && p.CompletedAt >= today)
            .Select(p => p.Amount).ToListAsync(ct);
        var pending = await OverviewPage.PendingAsync(db, ct);
        return string.Format(CultureInfo.InvariantCulture, DashboardTexts.Stats.In(language), users, deposits.Count,
            Currencies.Format(deposits.Sum(), currency), pending.Deposits, pending.FailedJobs, pending.FailedDeliveries);
    }
}
