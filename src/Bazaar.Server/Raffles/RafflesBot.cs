using System.Globalization;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Raffles;

/// <summary>
/// Raffles in the chat, the same on Telegram, WhatsApp and the sandbox. A deterministic state machine per contact:
/// IDLE (no step) → BROWSING (the list; "1" picks) → SELECTING (numbers typed, "random 3", or the number grid on
/// Telegram) → CONFIRMING ("confirm" / "cancel") → PAYMENT (a photo or PDF of the receipt). Buttons and typed words
/// drive the same transitions; anything else gets the help text. Reserving and paying are <see cref="RaffleOrders"/>.
/// </summary>
public sealed class RafflesBot(BazaarDb db, RaffleOrders orders, IEnumerable<IChatFileSource> files, IOptions<RafflesOptions> options,
    IOptions<PaymentsOptions> payments, PaymentCreator paymentCreator, StarsPayments stars, JobQueue jobs)
{
    public const string Prefix = "raf:";
    public const string HomeCallback = "raf:l";
    public const string Browsing = "raffles.browsing";
    public const string Selecting = "raffles.selecting";
    public const string Confirming = "raffles.confirming";
    public const string Payment = "raffles.payment";

    public sealed record BrowseData(List<long> Ids);
    public sealed record SelectData(long RaffleId, List<int> Picked);
    public sealed record OrderData(long OrderId);

    private static InlineKeyboardButton Btn(string text, string data) => InlineKeyboardButton.WithCallbackData(text, data);
    private static string F(BotContext ctx, Localized t, params object?[] args) => string.Format(CultureInfo.InvariantCulture, ctx.T(t), args);
    private static long L(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    public static void Register(BotRoutes r) => r
        .Command<RafflesBot>("raffles", (bot, ctx) => bot.ListAsync(ctx), RaffleTexts.RafflesCommand)
        .MenuButton(RaffleTexts.RafflesButton, HomeCallback)
        .Callback<RafflesBot>(Prefix, (bot, ctx) => bot.OnButtonAsync(ctx))
        .Step<RafflesBot>(Browsing, (bot, ctx) => bot.OnTextAsync(ctx, Browsing))
        .Step<RafflesBot>(Selecting, (bot, ctx) => bot.OnTextAsync(ctx, Selecting))
        .Step<RafflesBot>(Confirming, (bot, ctx) => bot.OnTextAsync(ctx, Confirming))
        .Step<RafflesBot>(Payment, (bot, ctx) => bot.OnTextAsync(ctx, Payment));

    /// <summary>Typed words that mean the same in every step.</summary>
    private static string Word(string? text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "menu" or "menú" or "меню" or "start" or "hi" or "hola" => "menu",
        "raffles" or "rifas" or "розыгрыши" or "list" => "raffles",
        "confirm" or "confirmar" or "ok" or "yes" or "sí" or "si" or "да" or "подтвердить" => "confirm",
        "cancel" or "cancelar" or "отмена" or "отменить" or "no" => "cancel",
        var other => other,
    };

    public async Task OnButtonAsync(BotContext ctx)
    {
        var p = ctx.CallbackData!.Split(':');
        long P(int i) => p.Length > i ? L(p[i]) : 0;
        ctx.AnswerCallback();
        switch (p.Length > 1 ? p[1] : "")
        {
            case "l": await ListAsync(ctx); break;
            case "v": await CardAsync(ctx, P(2), 1); break;
            case "g": await CardAsync(ctx, P(2), (int)P(3)); break;
            case "t": await ToggleAsync(ctx, P(2), (int)P(3), (int)P(4)); break;
            case "r": await ReservePickedAsync(ctx, P(2)); break;
            case "rnd": await ReserveAsync(ctx, P(2), TicketPick.Random((int)P(3))); break;
            case "ok": await ConfirmAsync(ctx, P(2)); break;
            case "x": await CancelAsync(ctx, P(2)); break;
            case "p": await PayOnlineAsync(ctx, P(2), p.Length > 3 ? p[3] : ""); break;
        }
    }

    public async Task OnTextAsync(BotContext ctx, string step)
    {
        var word = Word(ctx.Text);
        if (word == "menu") { await ctx.ClearStateAsync(); ctx.Reply(ctx.T(RaffleTexts.Menu)); return; }
        if (word == "raffles") { await ListAsync(ctx); return; }
        switch (step)
        {
            case Browsing:
                var browse = await ctx.GetStateDataAsync<BrowseData>();
                if (int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && browse is not null && i >= 1 && i <= browse.Ids.Count)
                {
                    await CardAsync(ctx, browse.Ids[i - 1], 1);
                    return;
                }
                break;
            case Selecting:
                var sel = await ctx.GetStateDataAsync<SelectData>();
                if (sel is not null && TicketPick.Parse(ctx.Text) is { } pick)
                {
                    await ReserveAsync(ctx, sel.RaffleId, pick);
                    return;
                }
                break;
            case Confirming:
                var c = await ctx.GetStateDataAsync<OrderData>();
                if (c is not null && word == "confirm") { await ConfirmAsync(ctx, c.OrderId); return; }
                if (c is not null && word == "cancel") { await CancelAsync(ctx, c.OrderId); return; }
                break;
            case Payment:
                var pay = await ctx.GetStateDataAsync<OrderData>();
                if (pay is not null && word == "cancel") { await CancelAsync(ctx, pay.OrderId); return; }
                if (pay is not null && (ctx.Message?.Photo is { Length: > 0 } || ctx.Message?.Document is not null))
                {
                    await ProofAsync(ctx, pay.OrderId);
                    return;
                }
                if (pay is not null) { ctx.Reply(ctx.T(RaffleTexts.ProofExpected)); return; }
                break;
        }
        ctx.Reply(ctx.T(RaffleTexts.Help));
    }

    /// <summary>/raffles, "raffles" and the menu button: the active raffles, numbered for typing.</summary>
    public async Task ListAsync(BotContext ctx)
    {
        var list = await db.Raffles.AsNoTracking().Where(r => r.Status == RaffleStatus.Active).OrderBy(r => r.DrawAt ?? DateTime.MaxValue).ThenBy(r => r.Id)
            .Take(10).ToListAsync(ctx.CancellationToken);
        if (list.Count == 0)
        {
            await ctx.ClearStateAsync();
            ctx.Reply(ctx.T(RaffleTexts.NoRaffles));
            return;
        }
        await ctx.SetStepAsync(Browsing, new BrowseData(list.Select(r => r.Id).ToList()));
        var text = ctx.T(RaffleTexts.ChooseRaffle) + "\n" + string.Join("\n", list.Select((r, i) =>
            $"{i + 1}. {RaffleTexts.H(r.Title)} · {Currencies.Format(r.TicketPrice, r.Currency)}"));
        var rows = list.Select((r, i) => new[] { Btn($"{i + 1}. {r.Title}", $"raf:v:{r.Id}") }).ToArray();
        ctx.Reply(text, new InlineKeyboardMarkup(rows));
    }

    /// <summary>A raffle's card; on Telegram and the sandbox with the number grid (paged, taken numbers marked), on WhatsApp with typing hints.</summary>
    private async Task CardAsync(BotContext ctx, long raffleId, int page, bool edit = false)
    {
        var ct = ctx.CancellationToken;
        var r = await db.Raffles.AsNoTracking().FirstOrDefaultAsync(x => x.Id == raffleId && x.Status == RaffleStatus.Active, ct);
        if (r is null) { await ListAsync(ctx); return; }
        var state = await ctx.GetStateDataAsync<SelectData>();
        var picked = state is not null && state.RaffleId == raffleId ? state.Picked : [];
        if ((await ctx.GetStateAsync())?.Step != Selecting || state?.RaffleId != raffleId) picked = [];
        await ctx.SetStepAsync(Selecting, new SelectData(raffleId, picked));
        var now = ctx.Now;
        var counts = await TicketQueries.CountsAsync(db, raffleId, now, ct);
        var text = F(ctx, RaffleTexts.RaffleCard, RaffleTexts.H(r.Title), RaffleTexts.H(r.Description), RaffleTexts.H(r.Prize),
            Currencies.Format(r.TicketPrice, r.Currency), r.Format(r.NumberFrom), r.Format(r.NumberTo), counts[TicketStatus.Available],
            r.DrawAt is { } d ? d.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : ctx.T(RaffleTexts.NoDrawDate), r.MaxTicketsPerOrder);
        var rows = new List<InlineKeyboardButton[]>();
        if (!ChatChannel.IsWhatsApp(ctx.Channel))
        {
            var size = Math.Max(5, options.Value.GridPageSize);
            var total = r.NumberTo - r.NumberFrom + 1;
            var pages = Math.Max(1, (total + size - 1) / size);
            page = Math.Clamp(page, 1, pages);
            var from = r.NumberFrom + (page - 1) * size;
            var to = Math.Min(r.NumberTo, from + size - 1);
            var free = (await db.RaffleTickets.AsNoTracking().Where(t => t.RaffleId == raffleId && t.Number >= from && t.Number <= to).Free(now)
                .Select(t => t.Number).ToListAsync(ct)).ToHashSet();
            var cells = Enumerable.Range(from, to - from + 1).Select(n =>
                free.Contains(n) ? Btn((picked.Contains(n) ? "✅" : "") + r.Format(n), $"raf:t:{raffleId}:{n}:{page}") : Btn("✖" + r.Format(n), $"raf:g:{raffleId}:{page}"));
            rows.AddRange(cells.Chunk(5));
            var nav = new List<InlineKeyboardButton>();
            if (page > 1) nav.Add(Btn("‹", $"raf:g:{raffleId}:{page - 1}"));
            if (page < pages) nav.Add(Btn("›", $"raf:g:{raffleId}:{page + 1}"));
            if (nav.Count > 0) rows.Add([.. nav]);
            text += "\n\n" + F(ctx, RaffleTexts.Grid, page, pages);
            if (picked.Count > 0) rows.Add([Btn($"{ctx.T(RaffleTexts.ConfirmButton)} ({string.Join(", ", picked.Order().Select(r.Format))})", $"raf:r:{raffleId}")]);
        }
        rows.Add([Btn(ctx.T(RaffleTexts.PickRandom) + " ×1", $"raf:rnd:{raffleId}:1"), Btn(ctx.T(RaffleTexts.PickRandom) + " ×3", $"raf:rnd:{raffleId}:3")]);
        if (edit) ctx.EditOrReply(text, new InlineKeyboardMarkup(rows));
        else ctx.Reply(text, new InlineKeyboardMarkup(rows));
    }

    private async Task ToggleAsync(BotContext ctx, long raffleId, int number, int page)
    {
        var s = await ctx.GetStateDataAsync<SelectData>();
        var picked = s is not null && s.RaffleId == raffleId ? s.Picked : [];
        if (!picked.Remove(number)) picked.Add(number);
        await ctx.SetStepAsync(Selecting, new SelectData(raffleId, picked));
        await CardAsync(ctx, raffleId, page, edit: true);
    }

    private async Task ReservePickedAsync(BotContext ctx, long raffleId)
    {
        var s = await ctx.GetStateDataAsync<SelectData>();
        if (s is null || s.RaffleId != raffleId || s.Picked.Count == 0) { await CardAsync(ctx, raffleId, 1); return; }
        await ReserveAsync(ctx, raffleId, TicketPick.Exact(s.Picked));
    }

    private async Task ReserveAsync(BotContext ctx, long raffleId, TicketPick pick)
    {
        var result = await orders.ReserveAsync(ctx.User.Id, raffleId, pick, ctx.CancellationToken);
        if (!result.Ok)
        {
            var raffle = await db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == raffleId, ctx.CancellationToken);
            ctx.Reply(result.Error == RaffleErrors.Taken && result.Taken is { } t && raffle is not null
                ? F(ctx, RaffleTexts.Taken, string.Join(", ", t.Select(raffle.Format)))
                : F(ctx, RaffleTexts.Problem, RaffleTexts.H(result.Detail)));
            return;
        }
        var o = result.Order!;
        var r = await db.Raffles.AsNoTracking().FirstAsync(x => x.Id == raffleId, ctx.CancellationToken);
        await ctx.SetStepAsync(Confirming, new OrderData(o.Id));
        ctx.Reply(F(ctx, RaffleTexts.Reserved, o.Id, RaffleTexts.NumberList(r, o.Numbers), options.Value.ReservationMinutes, Currencies.Format(o.Amount, o.Currency)),
            new InlineKeyboardMarkup([[Btn(ctx.T(RaffleTexts.ConfirmButton), $"raf:ok:{o.Id}"), Btn(ctx.T(RaffleTexts.CancelButton), $"raf:x:{o.Id}")]]));
    }

    private async Task ConfirmAsync(BotContext ctx, long orderId)
    {
        var result = await orders.ConfirmSelectionAsync(ctx.User.Id, orderId, ctx.CancellationToken);
        if (!result.Ok)
        {
            await ctx.ClearStateAsync();
            ctx.Reply(result.Error == RaffleErrors.IllegalTransition ? ctx.T(RaffleTexts.Expired) : F(ctx, RaffleTexts.Problem, RaffleTexts.H(result.Detail)));
            return;
        }
        var o = result.Order!;
        var r = await db.Raffles.AsNoTracking().FirstAsync(x => x.Id == o.RaffleId, ctx.CancellationToken);
        await ctx.SetStepAsync(Payment, new OrderData(o.Id));
        var online = OnlineMethods(ctx, o).ToList();
        var rows = online.Select(m => new[] { Btn(MethodButton(ctx, m, o), $"raf:p:{o.Id}:{m.WireName()}") }).ToList();
        rows.Add([Btn(ctx.T(RaffleTexts.CancelButton), $"raf:x:{o.Id}")]);
        ctx.Reply(F(ctx, RaffleTexts.PayNow, o.Id, RaffleTexts.NumberList(r, o.Numbers), Currencies.Format(o.Amount, o.Currency))
                  + (online.Count > 0 ? "\n" + ctx.T(RaffleTexts.OrPayOnline) : ""),
            new InlineKeyboardMarkup(rows));
    }

    /// <summary>The online methods this order can be paid with here: Stars only in Telegram, Stripe only in two-decimal currencies.</summary>
    private IEnumerable<PaymentMethod> OnlineMethods(BotContext ctx, RaffleOrder o)
    {
        var p = payments.Value;
        if (p.IsEnabled(PaymentMethod.Stars) && ctx.Channel == ChatChannel.Telegram) yield return PaymentMethod.Stars;
        if (p.IsEnabled(PaymentMethod.Stripe) && Currencies.Scale(o.Currency) == 2) yield return PaymentMethod.Stripe;
        if (p.IsEnabled(PaymentMethod.Robokassa)) yield return PaymentMethod.Robokassa;
    }

    private string MethodButton(BotContext ctx, PaymentMethod m, RaffleOrder o) => m switch
    {
        PaymentMethod.Stars => F(ctx, RaffleTexts.PayStars, stars.StarsFor(o.Amount, o.Currency)),
        PaymentMethod.Stripe => ctx.T(RaffleTexts.PayCard),
        _ => ctx.T(RaffleTexts.PayRobokassa),
    };

    /// <summary>
    /// "Pay online": a payment of purpose raffle for the order's price. No outside call here (this runs in the update's
    /// transaction): Stars get an invoice through the outbox, Stripe's link comes from the preparation job, Robokassa's
    /// signed link at once. The numbers stay held as before; the completed payment pays the order (see RaffleOrders).
    /// </summary>
    private async Task PayOnlineAsync(BotContext ctx, long orderId, string methodName)
    {
        var ct = ctx.CancellationToken;
        var now = ctx.Now;
        var o = await db.RaffleOrders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == orderId && x.UserId == ctx.User.Id, ct);
        if (o is null || !RaffleOrderStatus.IsLive(o.Status) || o.ExpiresAt is { } e && e <= now)
        {
            await ctx.ClearStateAsync();
            ctx.Reply(o?.Status == RaffleOrderStatus.Paid ? ctx.T(RaffleTexts.AlreadyPaid) : ctx.T(RaffleTexts.Expired));
            return;
        }
        if (!PaymentMethods.TryParse(methodName, out var method) || !OnlineMethods(ctx, o).Contains(method))
        {
            ctx.Reply(ctx.T(RaffleTexts.Help));
            return;
        }
        var (p, error) = await paymentCreator.CreatePendingAsync(new CreatePaymentRequest(ctx.User.Id, method.WireName(), "raffle",
            o.Id.ToString(CultureInfo.InvariantCulture), Currencies.ToMajor(o.Amount, o.Currency), o.Currency), ct);
        if (p is null)
        {
            ctx.Reply(F(ctx, RaffleTexts.Problem, RaffleTexts.H(error?.Detail)));
            return;
        }
        var r = await db.Raffles.AsNoTracking().FirstAsync(x => x.Id == o.RaffleId, ct);
        if (o.ExpiresAt is { } until)
            await db.Payments.Where(x => x.Id == p.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, until), ct);
        if (method == PaymentMethod.Stars)
        {
            stars.EnqueueInvoice(ctx.Chat, p, r.Title, $"{RaffleTexts.NumberList(r, o.Numbers)} · order {o.Id}");
            ctx.Reply(ctx.T(RaffleTexts.StarsInvoiceSent));
        }
        else if (PaymentCreator.NeedsPreparation(p))
        {
            PaymentPreparation.Enqueue(jobs, p, ctx.Chat, ctx.Language);
            ctx.Reply(ctx.T(RaffleTexts.LinkComing));
        }
        else DepositBot.SendPayLink(ctx.Outbox, ctx.Chat, ctx.Language, p, p.PayUrl!);
    }

    private async Task CancelAsync(BotContext ctx, long orderId)
    {
        var result = await orders.CancelAsync(orderId, ctx.User.Id, "cancelled by the customer", ctx.CancellationToken);
        await ctx.ClearStateAsync();
        ctx.Reply(result.Ok ? ctx.T(RaffleTexts.Cancelled) : F(ctx, RaffleTexts.Problem, RaffleTexts.H(result.Detail)));
    }

    private async Task ProofAsync(BotContext ctx, long orderId)
    {
        var m = ctx.Message!;
        var (fileId, declaredType, size, name) = m.Photo is { Length: > 0 } ph
            ? (ph[^1].FileId, "image/jpeg", ph[^1].FileSize, (string?)null)
            : (m.Document!.FileId, m.Document.MimeType, m.Document.FileSize, m.Document.FileName);
        var max = options.Value.ProofMaxBytes;
        RaffleResult result;
        if (size > max)
            result = RaffleResult.Fail(RaffleErrors.ProofTooLarge, $"larger than {max / 1024} KB");
        else
        {
            var source = files.FirstOrDefault(f => f.Channel == ctx.Channel);
            var file = source is null ? null : await source.DownloadAsync(fileId, max, ctx.CancellationToken);
            // The sandbox keeps the bytes in the browser: the proof is recorded by what the chat says about it.
            result = file is null
                ? await orders.AttachProofReferenceAsync(ctx.User.Id, orderId, $"{ctx.Channel}:{fileId}", declaredType, size ?? 0, ctx.CancellationToken)
                : await orders.AttachProofAsync(ctx.User.Id, orderId, file.Content, file.ContentType ?? declaredType, file.FileName ?? name, ctx.CancellationToken);
        }
        if (result.Ok)
        {
            await ctx.ClearStateAsync();
            ctx.Reply(F(ctx, RaffleTexts.ProofReceived, orderId));
        }
        else if (result.Error is RaffleErrors.ProofTooLarge or RaffleErrors.ProofType)
            ctx.Reply(F(ctx, RaffleTexts.ProofRejected, RaffleTexts.H(result.Detail)));
        else
        {
            await ctx.ClearStateAsync();
            ctx.Reply(ctx.T(RaffleTexts.Expired));
        }
    }
}
