using System.Globalization;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;
using static Bazaar.Server.Conversations.ConversationTexts;

namespace Bazaar.Server.Payments;
using static Bazaar.Server.Payments.DepositBot;

/// <summary>Operators' side of manual deposits: /deposits lists the pending ones with their proofs, Approve credits, Reject asks a reason.</summary>
public sealed class DepositReviewBot(ManualTransfers manual)
{
    private const int ListLimit = 20;

    private static string Operator(BotContext ctx) => $"{ctx.Channel}:{ctx.User.ExternalId} ({ctx.User.DisplayName})";

    public async Task ListPending(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.Reply(ctx.T(PaymentTexts.OperatorsOnly));
            return;
        }
        var q = from p in ctx.Db.Payments.AsNoTracking().Where(PaymentMethods.IsManualTransfer)
                join u in ctx.Db.Users.AsNoTracking() on p.UserId equals u.Id
                where p.Status == PaymentStatus.Pending
                orderby p.Id descending
                select new { p.Id, p.Reference, p.Amount, p.Currency, p.Method, p.ProofFileId, p.ProofKind, User = u };
        var total = await q.CountAsync(ctx.CancellationToken);
        if (total == 0)
        {
            ctx.Reply(ctx.T(PaymentTexts.NoPendingDeposits));
            return;
        }
        var rows = await q.Take(ListLimit).ToListAsync(ctx.CancellationToken);
        var lines = rows.Select(r => F(ctx, PaymentTexts.PendingDepositLine, r.Id, r.Reference, Currencies.Format(r.Amount, r.Currency),
            WalletScreens.MethodName(ctx.Language, r.Method),
            Html(r.User.DisplayName),
            ctx.T(r.ProofFileId is null ? PaymentTexts.ProofNo : PaymentTexts.ProofYes)));
        ctx.Reply(F(ctx, PaymentTexts.PendingDepositsTitle, total) + "\n" + string.Join("\n", lines),
            new InlineKeyboardMarkup(rows.Select(r => DecisionRow(ctx.Language, r.Id))));
        // The proofs themselves, each with its buttons, so the operator decides looking at it. A Telegram file id
        // can be sent on as it is; a sandbox upload's cannot.
        if (ctx.Channel != ChatChannel.Telegram) return;
        foreach (var r in rows.Where(r => r.ProofFileId is not null && r.User.Channel == ChatChannel.Telegram).Take(ProofLimit))
        {
            var caption = F(ctx, PaymentTexts.PendingDepositLine, r.Id, r.Reference, Currencies.Format(r.Amount, r.Currency),
                WalletScreens.MethodName(ctx.Language, r.Method), Html(r.User.DisplayName), ctx.T(PaymentTexts.ProofYes));
            if (r.ProofKind == "photo") ctx.Outbox.SendPhoto(ctx.Chat, r.ProofFileId!, caption, DecisionKeyboard(ctx.Language, r.Id));
            else ctx.Outbox.SendDocument(ctx.Chat, r.ProofFileId!, caption, DecisionKeyboard(ctx.Language, r.Id));
        }
    }

    /// <summary>At most this many proofs follow the list, so a long backlog does not flood the chat.</summary>
    private const int ProofLimit = 5;

    private static long? IdAfter(string? data, string prefix) =>
        data is not null && long.TryParse(data.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static async Task<Payment?> ManualDepositAsync(BotContext ctx, long? id) =>
        id is null ? null : await ctx.Db.Payments.AsNoTracking()
            .Where(PaymentMethods.IsManualTransfer).FirstOrDefaultAsync(p => p.Id == id, ctx.CancellationToken);

    private static string StatusName(PaymentStatus s) => PaymentStatusText.ApiName(s);

    public async Task Approve(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.AnswerCallback(ctx.T(PaymentTexts.OperatorsOnly), alert: true);
            return;
        }
        var id = IdAfter(ctx.CallbackData, ApprovePrefix);
        if (await ManualDepositAsync(ctx, id) is not { } p)
        {
            ctx.AnswerCallback(F(ctx, PaymentTexts.DepositNotFound, id), alert: true);
            return;
        }
        var result = await manual.ApproveAsync(p.Id, Operator(ctx), ctx.CancellationToken);
        if (result.Outcome != CompleteOutcome.Completed)
        {
            var now = await ctx.Db.Payments.AsNoTracking().Where(x => x.Id == p.Id).Select(x => x.Status).SingleAsync(ctx.CancellationToken);
            ctx.AnswerCallback(F(ctx, PaymentTexts.AlreadyDecided, p.Id, StatusName(now)), alert: true);
            return;
        }
        var owner = await ctx.Db.Users.AsNoTracking().SingleAsync(u => u.Id == p.UserId, ctx.CancellationToken);
        ctx.AnswerCallback(ctx.T(PaymentTexts.ApprovedToast));
        ctx.Reply(F(ctx, PaymentTexts.Approved, p.Id, p.Reference, Currencies.Format(p.Amount, p.Currency), Html(owner.DisplayName)));
    }

    public async Task AskRejectReason(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.AnswerCallback(ctx.T(PaymentTexts.OperatorsOnly), alert: true);
            return;
        }
        var id = IdAfter(ctx.CallbackData, RejectPrefix);
        var p = await ManualDepositAsync(ctx, id);
        if (p is null || p.Status != PaymentStatus.Pending)
        {
            ctx.AnswerCallback(p is null ? F(ctx, PaymentTexts.DepositNotFound, id) : F(ctx, PaymentTexts.AlreadyDecided, p.Id, StatusName(p.Status)), alert: true);
            return;
        }
        await ctx.SetStepAsync(RejectReasonStep, new RejectData(p.Id));
        ctx.AnswerCallback();
        ctx.Reply(F(ctx, PaymentTexts.AskRejectReason, p.Id, p.Reference, Currencies.Format(p.Amount, p.Currency)));
    }

    public async Task RejectWithReason(BotContext ctx)
    {
        var data = await ctx.GetStateDataAsync<RejectData>();
        if (!ctx.IsAdmin || data is null)
        {
            await ctx.ClearStateAsync();
            ctx.Reply(ctx.T(PaymentTexts.OperatorsOnly));
            return;
        }
        var reason = ctx.Message?.Text?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 500)
        {
            ctx.Reply(ctx.T(PaymentTexts.RejectReasonExpected));
            return;
        }
        await ctx.ClearStateAsync();
        var p = await ManualDepositAsync(ctx, data.PaymentId);
        if (p is not null && await manual.RejectAsync(p.Id, reason, Operator(ctx), ctx.CancellationToken))
        {
            ctx.Reply(F(ctx, PaymentTexts.RejectedByAdmin, p.Id, p.Reference, Html(reason)));
            return;
        }
        var status = p is null ? null : await ctx.Db.Payments.AsNoTracking().Where(x => x.Id == p.Id).Select(x => (PaymentStatus?)x.Status).SingleAsync(ctx.CancellationToken);
        ctx.Reply(status is null ? F(ctx, PaymentTexts.DepositNotFound, data.PaymentId) : F(ctx, PaymentTexts.AlreadyDecided, data.PaymentId, StatusName(status.Value)));
    }
}
