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
public sealed class AdminBot(BazaarDb db, BotPipeline pipeline, TimeProvider clock, IOptions<ShopCurrencyOptions> shop,
    DepositReviewBot deposits, Shop.ShopBot shopBot, Broadcasts.BroadcastBot broadcasts, Raffles.RaffleOrders raffleOrders, Jobs.JobQueue jobs,
    Giveaways.GiveawayCreation giveawayCreation)
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
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.PendingRaffleOrders), Prefix + "raffles") },
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.QuickStats), Prefix + "stats") },
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.ProductDiscount), Prefix + "discount") },
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.GiveawayDraw), Prefix + "giveaways") },
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.NewGiveaway), Prefix + "newgiveaway") },
        new[] { InlineKeyboardButton.WithCallbackData(ctx.T(DashboardTexts.StartBroadcast), Prefix + "broadcast") },
    });

    private static InlineKeyboardButton Btn(string text, string data) => InlineKeyboardButton.WithCallbackData(text, data);

    private InlineKeyboardButton BackButton(BotContext ctx) => Btn(ctx.T(DashboardTexts.Back), Prefix + "menu");

    public async Task ButtonAsync(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.AnswerCallback();
            ctx.Status = UpdateStatus.Ignored;
            return;
        }
        ctx.AnswerCallback();
        var action = ctx.CallbackData![Prefix.Length..];
        switch (action)
        {
            case "deposits":
                await deposits.ListPending(ctx);
                break;
            case "stats":
                ctx.EditOrReply(await StatsAsync(ctx.Language, ctx.CancellationToken), new InlineKeyboardMarkup(BackButton(ctx)));
                break;
            case "discount":
                // The shop's own /set_discount flow: pick a product, then type the percent.
                await shopBot.SetDiscountAsync(ctx);
                break;
            case "raffles":
                await RaffleOrdersAsync(ctx);
                break;
            case "giveaways":
                await GiveawaysAsync(ctx);
                break;
            case "newgiveaway":
                // The giveaways' own /newgiveaway conversation: ten questions, admin checks of the chats, then Publish.
                await giveawayCreation.StartAsync(ctx);
                break;
            case "broadcast":
                // The broadcasts' own /broadcast flow: the message, the segment, a test copy and the count, then Send.
                await broadcasts.StartAsync(ctx);
                break;
            default:
                if (action.StartsWith("ro:", StringComparison.Ordinal) || action.StartsWith("rx:", StringComparison.Ordinal))
                    await RaffleOrderAsync(ctx, action[..2] == "ro", action[3..]);
                else if (action.StartsWith("gq:", StringComparison.Ordinal)) await AskDrawAsync(ctx, action[3..]);
                else if (action.StartsWith("gd:", StringComparison.Ordinal)) await DrawAsync(ctx, action[3..]);
                else ctx.EditOrReply(ctx.T(DashboardTexts.AdminMenu), Menu(ctx));
                break;
        }
    }

    private static long Id(string s) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private string F(BotContext ctx, Localized t, params object?[] args) => string.Format(CultureInfo.InvariantCulture, ctx.T(t), args);

    /// <summary>Raffle orders waiting for the money, with confirm and cancel buttons that call the raffles' own order service.</summary>
    private async Task RaffleOrdersAsync(BotContext ctx)
    {
        var ct = ctx.CancellationToken;
        var orders = await (from o in db.RaffleOrders.AsNoTracking()
                            join r in db.Raffles.AsNoTracking() on o.RaffleId equals r.Id
                            where o.Status == Raffles.RaffleOrderStatus.PendingPayment
                            orderby o.Id
                            select new { o, r }).Take(10).ToListAsync(ct);
        if (orders.Count == 0)
        {
            ctx.EditOrReply(ctx.T(DashboardTexts.NoPendingRaffleOrders), new InlineKeyboardMarkup(BackButton(ctx)));
            return;
        }
        var lines = orders.Select(x => F(ctx, DashboardTexts.RaffleOrderLine, x.o.Id, ConversationTexts.Html(x.r.Title),
            string.Join(", ", x.o.Numbers.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => x.r.Format(int.Parse(n, CultureInfo.InvariantCulture)))),
            Currencies.Format(x.o.Amount, x.o.Currency), x.o.ProofPath is null ? "" : ctx.T(DashboardTexts.WithProof)));
        var rows = orders.Select(x => new[] { Btn($"✅ #{x.o.Id}", $"{Prefix}ro:{x.o.Id}"), Btn($"❌ #{x.o.Id}", $"{Prefix}rx:{x.o.Id}") })
            .Append([BackButton(ctx)]);
        ctx.EditOrReply(ctx.T(DashboardTexts.PendingRaffleOrdersTitle) + "\n" + string.Join("\n", lines), new InlineKeyboardMarkup(rows));
    }

    private async Task RaffleOrderAsync(BotContext ctx, bool confirm, string idText)
    {
        var id = Id(idText);
        var orders = raffleOrders;
        var r = confirm ? await orders.ConfirmPaymentAsync(id, "manual", null, ctx.CancellationToken) : await orders.CancelAsync(id, null, null, ctx.CancellationToken);
        ctx.Reply(r.Ok ? F(ctx, confirm ? DashboardTexts.RaffleOrderConfirmed : DashboardTexts.RaffleOrderCancelled, id)
            : F(ctx, DashboardTexts.RaffleOrderNotChanged, id, ConversationTexts.Html(r.Detail ?? r.Error ?? "")));
    }

    private async Task GiveawaysAsync(BotContext ctx)
    {
        var list = await db.Giveaways.AsNoTracking().Where(g => g.Status == Giveaways.GiveawayStatus.Published && g.ParticipantCount > 0)
            .OrderBy(g => g.EndsAt).Take(10).ToListAsync(ctx.CancellationToken);
        if (list.Count == 0)
        {
            ctx.EditOrReply(ctx.T(DashboardTexts.NoGiveawayToDraw), new InlineKeyboardMarkup(BackButton(ctx)));
            return;
        }
        var rows = list.Select(g => new[] { Btn($"{g.Title} ({g.ParticipantCount})", $"{Prefix}gq:{g.Id}") }).Append([BackButton(ctx)]);
        ctx.EditOrReply(ctx.T(DashboardTexts.PickGiveaway), new InlineKeyboardMarkup(rows));
    }

    private async Task AskDrawAsync(BotContext ctx, string idText)
    {
        var g = await db.Giveaways.AsNoTracking().FirstOrDefaultAsync(x => x.Id == Id(idText), ctx.CancellationToken);
        if (g is null) return;
        ctx.EditOrReply(F(ctx, DashboardTexts.ConfirmDraw, ConversationTexts.Html(g.Title), g.WinnerCount, g.ParticipantCount),
            new InlineKeyboardMarkup(new[] { new[] { Btn(ctx.T(DashboardTexts.DrawNow), $"{Prefix}gd:{g.Id}") }, new[] { BackButton(ctx) } }));
    }

    /// <summary>
    /// The giveaways' own draw job (the one that runs when a giveaway ends): the draw takes its own transaction, so it
    /// runs right after this update commits rather than inside it.
    /// </summary>
    private async Task DrawAsync(BotContext ctx, string idText)
    {
        var ct = ctx.CancellationToken;
        var g = await db.Giveaways.AsNoTracking().FirstOrDefaultAsync(x => x.Id == Id(idText), ct);
        if (g is null) return;
        if (g.Status != Giveaways.GiveawayStatus.Published || g.ParticipantCount == 0)
        {
            ctx.EditOrReply(F(ctx, DashboardTexts.DrawRefused, g.Status.ToString().ToLowerInvariant()), new InlineKeyboardMarkup(BackButton(ctx)));
            return;
        }
        if (!await db.Jobs.AnyAsync(j => j.IdempotencyKey == Giveaways.DrawJob.KeyFor(g.Id), ct))
            Giveaways.DrawJob.Enqueue(jobs, g.Id);
        ctx.EditOrReply(F(ctx, DashboardTexts.Drawing, ConversationTexts.Html(g.Title), g.Commitment, g.Id));
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
