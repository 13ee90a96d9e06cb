using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Dashboard;

public static class DashboardTexts
{
    public static readonly Localized Banned = new(
        "Your account has been blocked by the shop, so the bot cannot help you right now. If you think this is a mistake, contact the shop's support.",
        "Магазин заблокировал ваш аккаунт, поэтому бот сейчас не может вам помочь. Если это ошибка, напишите в поддержку магазина.");
    public static readonly Localized AdminMenu = new("🛠 Admin panel. What would you like to do?", "🛠 Панель администратора. Что сделать?");
    public static readonly Localized PendingDeposits = new("💳 Pending deposits", "💳 Ожидающие пополнения");
    public static readonly Localized QuickStats = new("📊 Quick stats", "📊 Сводка");
    public static readonly Localized Back = new("⬅️ Back", "⬅️ Назад");
    public static readonly Localized PendingRaffleOrders = new("🎟 Raffle orders to confirm", "🎟 Заказы розыгрышей на проверке");
    public static readonly Localized ProductDiscount = new("🏷 A product's discount", "🏷 Скидка на товар");
    public static readonly Localized GiveawayDraw = new("🎁 Draw a giveaway", "🎁 Провести розыгрыш");
    public static readonly Localized NewGiveaway = new("✨ New giveaway", "✨ Новый розыгрыш");
    public static readonly Localized StartBroadcast = new("📣 Start a broadcast", "📣 Начать рассылку");
    public static readonly Localized NoPendingRaffleOrders = new("No raffle orders are waiting for confirmation.", "Нет заказов розыгрышей, ожидающих подтверждения.");
    public static readonly Localized PendingRaffleOrdersTitle = new("🎟 <b>Raffle orders waiting for payment</b> (oldest first):", "🎟 <b>Заказы розыгрышей, ожидающие оплаты</b> (сначала старые):");
    public static readonly Localized RaffleOrderLine = new("#{0} · {1} · numbers {2} · {3}{4}", "#{0} · {1} · номера {2} · {3}{4}");
    public static readonly Localized WithProof = new(" · proof sent", " · чек прислан");
    public static readonly Localized RaffleOrderConfirmed = new("✅ Raffle order #{0} is paid: the tickets are sold and the customer got their numbers.",
        "✅ Заказ #{0} оплачен: билеты проданы, покупатель получил свои номера.");
    public static readonly Localized RaffleOrderCancelled = new("❌ Raffle order #{0} is cancelled: its tickets are free again and the customer was told.",
        "❌ Заказ #{0} отменён: билеты снова свободны, покупатель уведомлён.");
    public static readonly Localized RaffleOrderNotChanged = new("Raffle order #{0} was not changed: {1}", "Заказ #{0} не изменён: {1}");
    public static readonly Localized NoGiveawayToDraw = new("No published giveaway has participants yet.", "Нет опубликованных розыгрышей с участниками.");
    public static readonly Localized PickGiveaway = new("🎁 Which giveaway should be drawn now?", "🎁 Какой розыгрыш провести сейчас?");
    public static readonly Localized ConfirmDraw = new("Draw <b>{0}</b> now? {1} winner(s) among {2} participants. This cannot be undone.",
        "Провести <b>{0}</b> сейчас? Победителей: {1}, участников: {2}. Отменить будет нельзя.");
    public static readonly Localized DrawNow = new("🎲 Yes, draw now", "🎲 Да, провести");
    public static readonly Localized Drawing = new(
        "🎲 <b>{0}</b> is being drawn now; the winners are told as soon as it is done.\nCommitment: <code>{1}</code>\nThe seed, the winners and the data to verify them: /api/v1/giveaways/{2}/draw",
        "🎲 Розыгрыш <b>{0}</b> проводится; победители получат сообщения, как только он завершится.\nКоммит: <code>{1}</code>\nСид, победители и данные для проверки: /api/v1/giveaways/{2}/draw");
    public static readonly Localized DrawRefused = new("The giveaway was not drawn: {0}", "Розыгрыш не проведён: {0}");
    public static readonly Localized Stats = new(
        "📊 <b>Today</b> (UTC)\nNew users: {0}\nDeposits: {1} ({2})\n\n<b>Waiting</b>\nDeposits to approve: {3}\nFailed jobs: {4}\nFailed deliveries: {5}",
        "📊 <b>Сегодня</b> (UTC)\nНовых пользователей: {0}\nПополнений: {1} ({2})\n\n<b>Ждут</b>\nПополнений на проверке: {3}\nОшибок задач: {4}\nНедоставленных сообщений: {5}");
}

/// <summary>An operator's block: nothing a blocked customer sends is handled, and they are told once per message why.</summary>
internal static class UserBans
{
    public static async Task Middleware(BotContext ctx, Func<Task> next)
    {
        if (!ctx.IsAdmin && await IsBannedAsync(ctx))
        {
            if (ctx.CallbackData is not null) ctx.AnswerCallback(ctx.T(DashboardTexts.Banned), alert: true);
            else if (ctx.IsPrivateChat && ctx.Message is not null) ctx.Reply(ctx.T(DashboardTexts.Banned));
            else ctx.Status = UpdateStatus.Ignored;
            return;
        }
        await next();
    }

    // Every update asks, so it is one prepared statement rather than a LINQ query.
    private static async Task<bool> IsBannedAsync(BotContext ctx)
    {
        var cmd = ctx.Db.HotCommand("""SELECT 1 FROM user_bans WHERE "UserId" = @u""", "@u");
        cmd.Parameters[0].Value = ctx.User.Id;
        return await cmd.ExecuteScalarAsync(ctx.CancellationToken) is not null and not DBNull;
    }
}
