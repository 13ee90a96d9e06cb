using System.Text.Json;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Payments;

/// <summary>
/// Polls an Esplora-compatible explorer for payments to open deposit addresses. Every step is recorded in the
/// database and guarded by a unique index or a conditional update, so a crash between "seen" and "confirmed"
/// loses nothing and two watchers running at once credit each output once.
/// </summary>
public sealed class CryptoWatcher(BazaarDb db, PaymentService payments, RateService rates, IHttpClientFactory http,
    IOptions<PaymentsOptions> options, TimeProvider clock, ILogger<CryptoWatcher> log)
{
    public sealed record RunSummary(int Addresses, int NewTransfers, int Credited, int Expired);

    private sealed record Output(string Txid, int Vout, long Sats, bool Confirmed, long? BlockHeight);

    public async Task<RunSummary> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value.Crypto;
        int addresses = 0, seen = 0, credited = 0;
        foreach (var coin in new[] { PaymentMethod.Btc, PaymentMethod.Ltc })
        {
            var url = (coin == PaymentMethod.Ltc ? o.Ltc : o.Btc).ExplorerUrl;
            if (string.IsNullOrWhiteSpace(url)) continue;
            var code = coin.WireName();
            var open = await db.CryptoDeposits.AsNoTracking().Where(d => d.Open && d.Coin == code).OrderBy(d => d.Id).ToListAsync(ct);
            if (open.Count == 0) continue;
            var client = http.CreateClient("esplora");
            client.BaseAddress = new Uri(url.TrimEnd('/') + "/");
            long tip;
            try
            {
                tip = long.Parse((await client.GetStringAsync("blocks/tip/height", ct)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is HttpRequestException or FormatException)
            {
                log.LogWarning(e, "The {Coin} explorer is unavailable", code);
                continue;
            }
            foreach (var deposit in open)
            {
                addresses++;
                List<Output> outputs;
                try
                {
                    outputs = await OutputsTo(client, deposit.Address, ct);
                }
                catch (Exception e) when (e is HttpRequestException or JsonException)
                {
                    log.LogWarning(e, "Could not read {Address} from the {Coin} explorer", deposit.Address, code);
                    continue;
                }
                foreach (var output in outputs)
                {
                    var confirmations = output.Confirmed && output.BlockHeight is { } h ? (int)Math.Max(0, tip - h + 1) : 0;
                    var (transfer, isNew) = await RecordAsync(coin, deposit, output, confirmations, ct);
                    if (transfer is null) continue;
                    if (isNew) seen++;
                    if (transfer.CreditedAt is null && confirmations >= Math.Max(1, o.Confirmations) && await CreditAsync(transfer, ct))
                        credited++;
                }
            }
        }
        var expired = await ExpireAsync(ct);
        return new RunSummary(addresses, seen, credited, expired);
    }

    private static async Task<List<Output>> OutputsTo(HttpClient client, string address, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(await client.GetStringAsync($"address/{Uri.EscapeDataString(address)}/txs", ct));
        var list = new List<Output>();
        foreach (var tx in doc.RootElement.EnumerateArray())
        {
            var txid = tx.GetProperty("txid").GetString()!;
            var status = tx.GetProperty("status");
            var confirmed = status.TryGetProperty("confirmed", out var c) && c.GetBoolean();
            long? height = confirmed && status.TryGetProperty("block_height", out var bh) && bh.ValueKind == JsonValueKind.Number ? bh.GetInt64() : null;
            var i = 0;
            foreach (var vout in tx.GetProperty("vout").EnumerateArray())
            {
                if (vout.TryGetProperty("scriptpubkey_address", out var a) && a.GetString() == address)
                    list.Add(new Output(txid, i, vout.GetProperty("value").GetInt64(), confirmed, height));
                i++;
            }
        }
        return list;
    }

    /// <summary>First sight inserts the transfer with the rate that applies and tells the user; later sights update confirmations.</summary>
    private async Task<(CryptoTransfer? Transfer, bool IsNew)> RecordAsync(PaymentMethod coin, CryptoDeposit deposit, Output output, int confirmations, CancellationToken ct)
    {
        var code = coin.WireName();
        var existing = await db.CryptoTransfers.AsNoTracking()
            .FirstOrDefaultAsync(t => t.Coin == code && t.Txid == output.Txid && t.Vout == output.Vout, ct);
        if (existing is not null)
        {
            if (existing.Confirmations != confirmations)
                await db.CryptoTransfers.Where(t => t.Id == existing.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.Confirmations, confirmations), ct);
            existing.Confirmations = confirmations;
            return (existing, false);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var payment = await db.Payments.AsNoTracking().FirstAsync(p => p.Id == deposit.PaymentId, ct);
        var late = now > deposit.QuoteExpiresAt;
        var rate = late ? await rates.GetAsync(coin, payment.Currency, ct) : deposit.QuotedRate;
        if (rate is null)
        {
            log.LogWarning("No {Coin} rate for a late payment to {Address}; will retry", code, deposit.Address);
            return (null, false);
        }
        var transfer = new CryptoTransfer
        {
            PaymentId = deposit.PaymentId, Coin = code, Txid = output.Txid, Vout = output.Vout, Address = deposit.Address,
            AmountSats = output.Sats, Rate = rate.Value, Late = late, FirstSeenAt = now, Confirmations = confirmations,
        };
        db.CryptoTransfers.Add(transfer);
        var need = Math.Max(1, options.Value.Crypto.Confirmations);
        // A late payment is re-quoted: the user learns the value at today's rate now, not at the credit.
        await payments.NotifyAsync(payment.UserId, lang => string.Format(PaymentTexts.CryptoSeen.In(lang),
            Currencies.Format(output.Sats, coin == PaymentMethod.Ltc ? "LTC" : "BTC"), output.Txid, need)
            + (late ? "\n" + string.Format(System.Globalization.CultureInfo.InvariantCulture, PaymentTexts.CryptoLate.In(lang), deposit.QuoteExpiresAt,
                Currencies.Format(CryptoPayments.ValueMinor(output.Sats, rate.Value, payment.Currency), payment.Currency)) : ""), ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            db.ChangeTracker.Clear(); // another watcher recorded it first
            return (await db.CryptoTransfers.AsNoTracking()
                .FirstOrDefaultAsync(t => t.Coin == code && t.Txid == output.Txid && t.Vout == output.Vout, ct), false);
        }
        db.ChangeTracker.Clear();
        return (transfer, true);
    }

    /// <summary>Credits the value at the transfer's rate once: the ledger reference is the output itself.</summary>
    private async Task<bool> CreditAsync(CryptoTransfer transfer, CancellationToken ct)
    {
        var payment = await db.Payments.AsNoTracking().FirstAsync(p => p.Id == transfer.PaymentId, ct);
        var value = CryptoPayments.ValueMinor(transfer.AmountSats, transfer.Rate, payment.Currency);
        var now = clock.GetUtcNow().UtcDateTime;
        var coinCurrency = transfer.Coin == "ltc" ? "LTC" : "BTC";
        var result = await payments.CompleteAsync(payment.Id, null, null, null, new Completion(
            CreditAmount: value, ExternalRef: $"crypto:{transfer.Coin}:{transfer.Txid}:{transfer.Vout}", AllowAlreadyCompleted: true,
            // An order's fulfilment tells the user what became of the money (order, or wallet); a top-up says "credited".
            Notice: payment.Purpose is PaymentPurpose.Order or PaymentPurpose.Raffle ? null
                : lang => string.Format(PaymentTexts.CryptoCredited.In(lang), Currencies.Format(transfer.AmountSats, coinCurrency), Currencies.Format(value, payment.Currency)),
            InTransaction: c => db.CryptoTransfers.Where(t => t.Id == transfer.Id && t.CreditedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.CreditedAt, now).SetProperty(t => t.CreditedAmount, value), c)), ct);
        if (result.Outcome == CompleteOutcome.DuplicateEvent)
        {
            // Credited before a crash kept the mark from being written; write it now.
            await db.CryptoTransfers.Where(t => t.Id == transfer.Id && t.CreditedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.CreditedAt, now).SetProperty(t => t.CreditedAmount, value), ct);
        }
        return result.Outcome == CompleteOutcome.Completed;
    }

    /// <summary>Stops watching addresses past their window with nothing left to credit; unpaid payments expire.</summary>
    private async Task<int> ExpireAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var done = await db.CryptoDeposits.Where(d => d.Open && d.WatchUntil < now &&
                                                      !db.CryptoTransfers.Any(t => t.PaymentId == d.PaymentId && t.CreditedAt == null))
            .Select(d => new { d.Id, d.PaymentId }).ToListAsync(ct);
        var expired = 0;
        foreach (var d in done)
        {
            if (await payments.EndAsync(d.PaymentId, PaymentStatus.Expired, "No payment arrived in time", null, ct)) expired++;
            await db.CryptoDeposits.Where(x => x.Id == d.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Open, false), ct);
        }
        return expired;
    }
}
