using System.Net;
using Bazaar.Server.Conversations;

namespace Bazaar.Server.Raffles;

/// <summary>The raffles' bot texts in English, Russian and Spanish (HTML; placeholders are filled with encoded values).</summary>
public static class RaffleTexts
{
    public static string H(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>"005, 012, 099" from the stored "5,12,99".</summary>
    public static string NumberList(Raffle r, string numbers) =>
        string.Join(", ", numbers.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => r.Format(int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))));

    public static readonly Localized RafflesCommand = new("Raffles: pick your lucky numbers", "Розыгрыши: выберите счастливые номера", "Rifas: elige tus números");
    public static readonly Localized RafflesButton = new("🎟 Raffles", "🎟 Розыгрыши", "🎟 Rifas");
    public static readonly Localized NoRaffles = new("There is no raffle on sale right now.", "Сейчас нет активных розыгрышей.", "No hay rifas a la venta ahora.");
    public static readonly Localized ChooseRaffle = new("🎟 <b>Raffles</b>\nChoose one (or type its number):", "🎟 <b>Розыгрыши</b>\nВыберите (или введите номер):",
        "🎟 <b>Rifas</b>\nElige una (o escribe su número):");
    public static readonly Localized RaffleCard = new(
        "🎟 <b>{0}</b>\n{1}\n🏆 Prize: {2}\n💵 Ticket: {3}\n🔢 Numbers {4}–{5}, {6} available\n📅 Draw: {7}\n\nType numbers (<code>5, 12, 99</code> or <code>10-15</code>), or <code>random 3</code>. Up to {8} per order.",
        "🎟 <b>{0}</b>\n{1}\n🏆 Приз: {2}\n💵 Билет: {3}\n🔢 Номера {4}–{5}, свободно {6}\n📅 Розыгрыш: {7}\n\nВведите номера (<code>5, 12, 99</code> или <code>10-15</code>) или <code>random 3</code>. До {8} за заказ.",
        "🎟 <b>{0}</b>\n{1}\n🏆 Premio: {2}\n💵 Boleto: {3}\n🔢 Números {4}–{5}, {6} disponibles\n📅 Sorteo: {7}\n\nEscribe números (<code>5, 12, 99</code> o <code>10-15</code>), o <code>random 3</code>. Hasta {8} por pedido.");
    public static readonly Localized NoDrawDate = new("to be announced", "будет объявлен", "por anunciar");
    public static readonly Localized Grid = new("Free numbers are buttons; ✖ is taken. Page {0}/{1}.", "Свободные номера — кнопки; ✖ занят. Стр. {0}/{1}.",
        "Los números libres son botones; ✖ ocupado. Página {0}/{1}.");
    public static readonly Localized PickRandom = new("🎲 Random", "🎲 Случайный", "🎲 Al azar");
    public static readonly Localized Reserved = new(
        "⏳ Order #{0}: <b>{1}</b> held for you for {2} min.\nTotal: {3}\n\nReply <b>confirm</b> to continue or <b>cancel</b>.",
        "⏳ Заказ #{0}: <b>{1}</b> забронированы за вами на {2} мин.\nИтого: {3}\n\nОтветьте <b>confirm</b>, чтобы продолжить, или <b>cancel</b>.",
        "⏳ Pedido #{0}: <b>{1}</b> reservados para ti por {2} min.\nTotal: {3}\n\nResponde <b>confirm</b> para continuar o <b>cancel</b>.");
    public static readonly Localized ConfirmButton = new("✅ Confirm", "✅ Подтвердить", "✅ Confirmar");
    public static readonly Localized CancelButton = new("✖ Cancel", "✖ Отменить", "✖ Cancelar");
    public static readonly Localized PayNow = new(
        "💳 Order #{0} ({1}): pay {2} and send a photo or PDF of the receipt here. An operator checks it and confirms your tickets.",
        "💳 Заказ #{0} ({1}): оплатите {2} и пришлите сюда фото или PDF чека. Оператор проверит и подтвердит билеты.",
        "💳 Pedido #{0} ({1}): paga {2} y envía aquí una foto o PDF del comprobante. Un operador lo revisa y confirma tus boletos.");
    public static readonly Localized OrPayOnline = new("Or pay online with a button below; the tickets are confirmed as soon as the payment arrives.",
        "Или оплатите онлайн кнопкой ниже — билеты подтвердятся, как только придёт оплата.",
        "O paga en línea con un botón de abajo; los boletos se confirman en cuanto llega el pago.");
    public static readonly Localized PayStars = new("⭐ Pay {0} Stars", "⭐ Оплатить {0} Stars", "⭐ Pagar {0} Stars");
    public static readonly Localized PayCard = new("💳 Card (Stripe)", "💳 Карта (Stripe)", "💳 Tarjeta (Stripe)");
    public static readonly Localized PayRobokassa = new("💳 Robokassa", "💳 Robokassa", "💳 Robokassa");
    public static readonly Localized StarsInvoiceSent = new("⭐ The invoice is below. Pay it before your hold ends.", "⭐ Счёт ниже. Оплатите до конца брони.",
        "⭐ La factura está abajo. Págala antes de que venza tu reserva.");
    public static readonly Localized LinkComing = new("💳 Preparing your payment link…", "💳 Готовим ссылку на оплату…", "💳 Preparando tu enlace de pago…");
    public static readonly Localized AlreadyPaid = new("✅ This order is paid already.", "✅ Этот заказ уже оплачен.", "✅ Este pedido ya está pagado.");
    public static readonly Localized ProofReceived = new("📨 Thanks! The receipt for order #{0} is with an operator. Your numbers stay held until they decide.",
        "📨 Спасибо! Чек по заказу #{0} у оператора. Номера держатся за вами до его решения.",
        "📨 ¡Gracias! El comprobante del pedido #{0} está con un operador. Tus números siguen reservados hasta que decida.");
    public static readonly Localized ProofRejected = new("This file cannot be used as a receipt: {0}", "Этот файл не подходит как чек: {0}", "Este archivo no sirve como comprobante: {0}");
    public static readonly Localized ProofExpected = new("Send a photo or PDF of the payment receipt, or reply <b>cancel</b>.",
        "Пришлите фото или PDF чека, или ответьте <b>cancel</b>.", "Envía una foto o PDF del comprobante, o responde <b>cancel</b>.");
    public static readonly Localized Cancelled = new("Order cancelled; the numbers are free again.", "Заказ отменён, номера снова свободны.", "Pedido cancelado; los números vuelven a estar libres.");
    public static readonly Localized Taken = new("😔 Taken already: {0}. Nothing was reserved; pick others.", "😔 Уже заняты: {0}. Ничего не забронировано, выберите другие.",
        "😔 Ya ocupados: {0}. No se reservó nada; elige otros.");
    public static readonly Localized Problem = new("⚠ {0}", "⚠ {0}", "⚠ {0}");
    public static readonly Localized Help = new(
        "I did not get that. Type <b>raffles</b> to see the raffles, numbers like <b>5, 12, 99</b> or <b>random 3</b> to pick, <b>confirm</b>, <b>cancel</b>, or <b>menu</b>.",
        "Не понял. Напишите <b>raffles</b> — список розыгрышей, номера вроде <b>5, 12, 99</b> или <b>random 3</b>, <b>confirm</b>, <b>cancel</b> или <b>menu</b>.",
        "No entendí. Escribe <b>raffles</b> para ver las rifas, números como <b>5, 12, 99</b> o <b>random 3</b>, <b>confirm</b>, <b>cancel</b> o <b>menu</b>.");
    public static readonly Localized Menu = new("👋 Hi! Type <b>raffles</b> to buy raffle tickets.", "👋 Привет! Напишите <b>raffles</b>, чтобы купить билеты.",
        "👋 ¡Hola! Escribe <b>raffles</b> para comprar boletos.");
    public static readonly Localized Expired = new("⌛ Your hold has lapsed; the numbers are free again. Pick again.", "⌛ Бронь истекла, номера освобождены. Выберите снова.",
        "⌛ Tu reserva venció; los números quedaron libres. Elige de nuevo.");

    // Notifications (sent by operators' actions and jobs; {0} order id, {1} raffle title, {2} numbers)
    public static readonly Localized PaymentConfirmed = new("🎉 Payment confirmed for order #{0}. Your tickets in <b>{1}</b>: <b>{2}</b>. Good luck!",
        "🎉 Оплата заказа #{0} подтверждена. Ваши билеты в <b>{1}</b>: <b>{2}</b>. Удачи!",
        "🎉 Pago confirmado del pedido #{0}. Tus boletos en <b>{1}</b>: <b>{2}</b>. ¡Suerte!");
    public static readonly Localized OrderCancelledByOperator = new("Order #{0} in <b>{1}</b> was cancelled by the operator; numbers {2} are free again.",
        "Заказ #{0} в <b>{1}</b> отменён оператором; номера {2} освобождены.",
        "El operador canceló el pedido #{0} en <b>{1}</b>; los números {2} quedan libres.");
    public static readonly Localized OrderExpired = new("⌛ Order #{0} in <b>{1}</b> expired unpaid; numbers {2} are free again.",
        "⌛ Заказ #{0} в <b>{1}</b> истёк без оплаты; номера {2} освобождены.",
        "⌛ El pedido #{0} en <b>{1}</b> venció sin pago; los números {2} quedan libres.");
    public static readonly Localized PaymentKeptInWallet = new(
        "💰 Your payment of {3} for order #{0} in <b>{1}</b> arrived, but the order could no longer take it (numbers {2} were taken, or the order was closed). The money is in your wallet: /wallet.",
        "💰 Оплата {3} по заказу #{0} в <b>{1}</b> пришла, но заказ уже не мог её принять (номера {2} заняты или заказ закрыт). Деньги на вашем кошельке: /wallet.",
        "💰 Tu pago de {3} del pedido #{0} en <b>{1}</b> llegó, pero el pedido ya no podía aceptarlo (los números {2} se ocuparon o el pedido se cerró). El dinero está en tu monedero: /wallet.");
    public static readonly Localized PaymentKeptNoOrder = new("💰 A payment of {0} arrived for a raffle order that does not exist; the money is in your wallet: /wallet.",
        "💰 Пришла оплата {0} за несуществующий заказ розыгрыша; деньги на вашем кошельке: /wallet.",
        "💰 Llegó un pago de {0} para un pedido de rifa que no existe; el dinero está en tu monedero: /wallet.");
}
