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
