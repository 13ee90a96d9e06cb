using Bazaar.Server.Conversations;

namespace Bazaar.Server.Referrals;

/// <summary>The referral program's bot texts in English and Russian (HTML; placeholders are filled with encoded values).</summary>
public static class ReferralTexts
{
    public static string Html(string s) => System.Net.WebUtility.HtmlEncode(s);

    public static readonly Localized MenuButton = new("🤝 Referrals", "🤝 Рефералы");
    public static readonly Localized ReferralCommand = new("Your referral link, invited friends and earnings", "Ваша реферальная ссылка, приглашённые и доход");
    public static readonly Localized StatsCommand = new("Your referral earnings by month", "Доход от рефералов по месяцам");
    public static readonly Localized ProfileCommand = new("Your profile: tier, achievements, privacy", "Ваш профиль: уровень, достижения, приватность");
    public static readonly Localized TopCommand = new("Top referrers", "Лучшие рефереры");

    public static readonly Localized InvitedBy = new("🤝 You were invited by <b>{0}</b>.", "🤝 Вас пригласил(а) <b>{0}</b>.");
    public static readonly Localized OwnLink = new("That is your own referral link: share it with friends instead.",
        "Это ваша собственная реферальная ссылка — поделитесь ею с друзьями.");
    public static readonly Localized NewReferral = new("🎉 New referral! <b>{0}</b> joined through your link. Invited so far: <b>{1}</b>.",
        "🎉 Новый реферал! <b>{0}</b> присоединился(-ась) по вашей ссылке. Всего приглашено: <b>{1}</b>.");
    public static readonly Localized CommissionEarned = new("💰 Referral commission: <b>+{0}</b> from a deposit by {1}.",
        "💰 Реферальное вознаграждение: <b>+{0}</b> с пополнения {1}.");
    public static readonly Localized CommissionReversed = new("↩️ A referral's deposit was refunded, so its commission was taken back: <b>−{0}</b>.",
        "↩️ Пополнение реферала возвращено, вознаграждение списано: <b>−{0}</b>.");
    public static readonly Localized MilestoneReached = new("🏆 Milestone: <b>{0}</b> active referrals! You get <b>{1}</b> check credit(s).",
        "🏆 Рубеж: <b>{0}</b> активных рефералов! Вам начислено кредитов на проверки: <b>{1}</b>.");
    public static readonly Localized TierReached = new("⭐ You reached a new referral tier: <b>{0}</b>!", "⭐ Вы достигли нового уровня: <b>{0}</b>!");
    public static readonly Localized AchievementUnlocked = new("🏅 Achievement unlocked: {0} <b>{1}</b>", "🏅 Достижение получено: {0} <b>{1}</b>");

    public static readonly Localized Overview = new(
        "🤝 <b>Your referral program</b>\nInvite friends with your link and earn <b>{0}%</b> of every deposit they make.\n\n" +
        "🔗 {1}\nCode: <code>{2}</code>\n\n👥 Invited: <b>{3}</b> · active: <b>{4}</b>\n💰 Earned: <b>{5}</b> (this month: {6})\n" +
        "🎖 Tier: <b>{7}</b>{8}\n🏆 Next milestone: {9}",
        "🤝 <b>Ваша реферальная программа</b>\nПриглашайте друзей по своей ссылке и получайте <b>{0}%</b> с каждого их пополнения.\n\n" +
        "🔗 {1}\nКод: <code>{2}</code>\n\n👥 Приглашено: <b>{3}</b> · активных: <b>{4}</b>\n💰 Заработано: <b>{5}</b> (в этом месяце: {6})\n" +
        "🎖 Уровень: <b>{7}</b>{8}\n🏆 Следующий рубеж: {9}");
    public static readonly Localized NoLink = new("(send <code>/start ref_{0}</code> to the bot)", "(отправьте боту <code>/start ref_{0}</code>)");
    public static readonly Localized ToNextTier = new(" — {0} more to {1}", " — ещё {0} до уровня {1}");
    public static readonly Localized MilestoneProgress = new("{0}/{1} active → +{2} check credit(s)", "{0}/{1} активных → +{2} кредит(ов)");
    public static readonly Localized NoMilestones = new("none", "нет");

    public static readonly Localized StatsHeader = new("📊 <b>Referral earnings by month</b>", "📊 <b>Доход от рефералов по месяцам</b>");
    public static readonly Localized StatsLine = new("{0}: <b>{1}</b> ({2} deposit(s))", "{0}: <b>{1}</b> (пополнений: {2})");
    public static readonly Localized StatsReversed = new(" · refunded −{0}", " · возвращено −{0}");
    public static readonly Localized StatsEmpty = new("No commissions yet. Share your link from /referral.",
        "Вознаграждений пока нет. Поделитесь ссылкой из /referral.");
    public static readonly Localized StatsTotal = new("Total: <b>{0}</b>", "Итого: <b>{0}</b>");

    public static readonly Localized ProfileHeader = new("👤 <b>Your profile</b>\n🎖 Tier: <b>{0}</b>\n\n<b>Achievements</b> ({1}/{2}):",
        "👤 <b>Ваш профиль</b>\n🎖 Уровень: <b>{0}</b>\n\n<b>Достижения</b> ({1}/{2}):");
    public static readonly Localized AchievementDone = new("✅ {0} {1}", "✅ {0} {1}");
    public static readonly Localized AchievementLocked = new("🔒 {0} {1} — {2}/{3}", "🔒 {0} {1} — {2}/{3}");
    public static readonly Localized NameShown = new("👁 Your name is shown in /top.", "👁 Ваше имя показывается в /top.");
    public static readonly Localized NameHidden = new("🙈 In /top you are shown as “anonymous”.", "🙈 В /top вы показаны как «аноним».");
    public static readonly Localized ShowNameButton = new("👁 Show my name in /top", "👁 Показывать имя в /top");
    public static readonly Localized HideNameButton = new("🙈 Hide my name in /top", "🙈 Скрыть имя в /top");

    public static readonly Localized TopHeader = new("🏆 <b>Top referrers</b> — {0}, {1}", "🏆 <b>Лучшие рефереры</b> — {0}, {1}");
    public static readonly Localized ByEarnings = new("by earnings", "по доходу");
    public static readonly Localized ByCount = new("by referrals", "по приглашённым");
    public static readonly Localized ThisMonth = new("this month", "этот месяц");
    public static readonly Localized AllTime = new("all time", "за всё время");
    public static readonly Localized TopEmpty = new("Nobody is on the board yet.", "В рейтинге пока никого нет.");
    public static readonly Localized Anonymous = new("anonymous", "аноним");
    public static readonly Localized You = new("you", "вы");
    public static readonly Localized YourRank = new("Your place: <b>#{0}</b> ({1})", "Ваше место: <b>#{0}</b> ({1})");
    public static readonly Localized NotRanked = new("You are not on the board yet: invite friends from /referral.",
        "Вас пока нет в рейтинге: приглашайте друзей из /referral.");
    public static readonly Localized ReferralsCount = new("{0} referral(s)", "приглашено: {0}");

    public static readonly Localized StatsButton = new("📊 Stats", "📊 Статистика");
    public static readonly Localized TopButton = new("🏆 Top", "🏆 Рейтинг");
    public static readonly Localized ProfileButton = new("👤 Profile", "👤 Профиль");
    public static readonly Localized BackButton = new("« Back", "« Назад");
}
