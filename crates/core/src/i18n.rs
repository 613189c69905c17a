//! Locales: which language and direction to use, every string the widget shows, and the digits
//! its numbers are written in. Prices go through the browser's `Intl.NumberFormat` with the tag
//! from [`Locale::intl_tag`]; countdowns use [`Locale::digits`].

/// A language the widget is translated into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Arabic.
    Ar,
    /// Persian.
    Fa,
}

impl Lang {
    /// Whether text runs right to left.
    pub fn is_rtl(self) -> bool {
        matches!(self, Self::Ar | Self::Fa)
    }

    /// `ltr` or `rtl`, for the `dir` attribute.
    pub fn dir(self) -> &'static str {
        if self.is_rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The BCP 47 primary language subtag.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
            Self::Fa => "fa",
        }
    }
}

/// The shopper's locale: a supported language and the full tag the page asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locale {
    /// Translation to use.
    pub lang: Lang,
    /// The tag, kept whole so `ar-MA` still formats as Morocco does.
    pub tag: String,
}

impl Default for Locale {
    fn default() -> Self {
        Self {
            lang: Lang::En,
            tag: "en".into(),
        }
    }
}

impl Locale {
    /// Picks the locale from the element's `locale` attribute, else the page's `lang`, else
    /// English. An unsupported language falls through to the next candidate.
    pub fn negotiate(attribute: Option<&str>, page_lang: Option<&str>) -> Self {
        [attribute, page_lang]
            .into_iter()
            .flatten()
            .find_map(Self::parse)
            .unwrap_or_default()
    }

    /// Parses a BCP 47 tag whose language is supported.
    pub fn parse(tag: &str) -> Option<Self> {
        let tag = tag.trim();
        if tag.is_empty()
            || tag.len() > 64
            || !tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        let tag = tag.replace('_', "-");
        let primary = tag.split('-').next()?.to_ascii_lowercase();
        let lang = match primary.as_str() {
            "en" => Lang::En,
            "ar" => Lang::Ar,
            "fa" => Lang::Fa,
            _ => return None,
        };
        Some(Self { lang, tag })
    }

    /// The tag for `Intl`: Arabic and Persian get their native digits unless the page chose a
    /// numbering system itself (`-u-nu-…`) or a region that writes Latin digits.
    pub fn intl_tag(&self) -> String {
        let lower = self.tag.to_ascii_lowercase();
        if lower.contains("-u-") {
            return self.tag.clone();
        }
        match self.lang {
            Lang::Ar if !latin_digit_region(&lower) => format!("{}-u-nu-arab", self.tag),
            Lang::Fa => format!("{}-u-nu-arabext", self.tag),
            _ => self.tag.clone(),
        }
    }

    /// The digits numbers are written in, matching [`Locale::intl_tag`].
    pub fn digits(&self) -> Digits {
        let tag = self.intl_tag().to_ascii_lowercase();
        if tag.contains("nu-arabext") {
            Digits::ArabicExtended
        } else if tag.contains("nu-arab") {
            Digits::Arabic
        } else {
            Digits::Latin
        }
    }

    /// A translated string.
    pub fn text(&self, text: impl Localized) -> &'static str {
        text.get(self.lang)
    }
}

/// Maghreb Arabic writes Latin digits.
fn latin_digit_region(tag: &str) -> bool {
    ["-ma", "-dz", "-tn", "-ly", "-eh"]
        .iter()
        .any(|region| tag.ends_with(region) || tag.contains(&format!("{region}-")))
}

/// A set of decimal digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digits {
    /// 0123456789
    Latin,
    /// ٠١٢٣٤٥٦٧٨٩
    Arabic,
    /// ۰۱۲۳۴۵۶۷۸۹
    ArabicExtended,
}

impl Digits {
    /// Rewrites ASCII digits in `text`.
    pub fn apply(self, text: &str) -> String {
        let zero = match self {
            Self::Latin => return text.to_string(),
            Self::Arabic => 0x0660,
            Self::ArabicExtended => 0x06F0,
        };
        text.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => char::from_u32(zero + d).unwrap_or(c),
                _ => c,
            })
            .collect()
    }
}

/// A set of translated strings.
pub trait Localized: Copy {
    /// The string in `lang`.
    fn get(self, lang: Lang) -> &'static str;
}

macro_rules! texts {
    ($(#[$enum_doc:meta])* $enum:ident { $( $(#[$doc:meta])* $name:ident => [$en:expr, $ar:expr, $fa:expr] ),* $(,)? }) => {
        $(#[$enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $enum { $( $(#[$doc])* $name ),* }

        impl $enum {
            /// Every text, for completeness tests.
            pub const ALL: &'static [$enum] = &[$($enum::$name),*];

            /// The string in `lang`.
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( ($enum::$name, Lang::En) => $en,
                       ($enum::$name, Lang::Ar) => $ar,
                       ($enum::$name, Lang::Fa) => $fa, )*
                }
            }
        }

        impl Localized for $enum {
            fn get(self, lang: Lang) -> &'static str {
                $enum::get(self, lang)
            }
        }
    };
}

texts! {
    /// Every string the overlay shows. `{n}`, `{price}`, `{title}` are filled in by the caller.
    Text {
        /// Region label of the whole overlay.
        Overlay => ["Live shopping", "تسوّق مباشر", "خرید زنده"],
        /// The on-air badge.
        Live => ["Live", "مباشر", "زنده"],
        /// Add-to-cart button, idle.
        AddToCart => ["Add to cart", "أضف إلى السلة", "افزودن به سبد"],
        /// Add-to-cart button, waiting.
        Adding => ["Adding…", "جارٍ الإضافة…", "در حال افزودن…"],
        /// Add-to-cart button, done.
        Added => ["Added", "تمت الإضافة", "افزوده شد"],
        /// Add-to-cart button, failed; pressing it retries.
        AddFailed => ["Couldn't add. Retry", "تعذّرت الإضافة. أعد المحاولة", "افزوده نشد. دوباره امتحان کنید"],
        /// Button that opens the product page.
        ViewProduct => ["View product", "عرض المنتج", "مشاهده محصول"],
        /// Stock line: `{n}` is the count.
        Left => ["{n} left", "متبقٍ {n}", "{n} عدد باقی مانده"],
        /// Sold out.
        SoldOut => ["Sold out", "نفدت الكمية", "تمام شد"],
        /// Pre-order.
        PreOrder => ["Pre-order", "طلب مسبق", "پیش‌خرید"],
        /// Limited stock without a count.
        Limited => ["Limited stock", "كمية محدودة", "موجودی محدود"],
        /// Before `{time}` of a deal's start.
        StartsIn => ["Starts in {time}", "يبدأ خلال {time}", "شروع تا {time}"],
        /// Before `{time}` of a deal's end.
        EndsIn => ["Ends in {time}", "ينتهي خلال {time}", "پایان تا {time}"],
        /// The deal is over.
        DealEnded => ["Deal ended", "انتهى العرض", "پیشنهاد تمام شد"],
        /// Flash deal label.
        FlashDeal => ["Flash deal", "عرض خاطف", "حراج لحظه‌ای"],
        /// `{n}` percent off.
        PercentOff => ["-{n}%", "‎-{n}٪", "‎-{n}٪"],
        /// Label of the struck price, for screen readers.
        WasPrice => ["Was {price}", "كان {price}", "قبلاً {price}"],
        /// Label of the current price, for screen readers.
        NowPrice => ["Now {price}", "الآن {price}", "اکنون {price}"],
        /// Shelf toggle, closed.
        ShowShelf => ["Products ({n})", "المنتجات ({n})", "محصولات ({n})"],
        /// The products button's name when it shows a bag and the count alone: the count as
        /// seen, so that a voice command naming it finds the button.
        ShelfCount => ["Products, {n}", "المنتجات، {n}", "محصولات، {n}"],
        /// Shelf toggle, open.
        HideShelf => ["Hide products", "إخفاء المنتجات", "بستن محصولات"],
        /// Upcoming events heading.
        Upcoming => ["Upcoming shows", "البثوث القادمة", "برنامه‌های آینده"],
        /// Calendar link.
        AddToCalendar => ["Add to calendar", "أضف إلى التقويم", "افزودن به تقویم"],
        /// Shown while the live connection is being restored.
        Reconnecting => ["Reconnecting…", "جارٍ إعادة الاتصال…", "در حال اتصال دوباره…"],
        /// Shown instead of "reconnecting" when the backend has no stream of this id.
        StreamUnavailable => ["This live show isn't available.", "هذا البث المباشر غير متاح.", "این پخش زنده در دسترس نیست."],
        /// Announced when the pinned price changes.
        AnnouncePrice => ["{title}: now {price}", "{title}: الآن {price}", "{title}: اکنون {price}"],
        /// Announced when the pinned stock changes.
        AnnounceStock => ["{title}: {n} left", "{title}: متبقٍ {n}", "{title}: {n} عدد باقی مانده"],
        /// Announced when the pinned product sells out.
        AnnounceSoldOut => ["{title}: sold out", "{title}: نفدت الكمية", "{title}: تمام شد"],
        /// Offline or unreachable backend.
        ErrorOffline => ["You seem to be offline. We'll keep trying.", "يبدو أنك غير متصل. سنواصل المحاولة.", "به نظر می‌رسد آفلاین هستید. دوباره تلاش می‌کنیم."],
        /// The device is online but the backend gave no answer (refused, or blocked by CORS).
        ErrorUnreachable => ["Couldn't reach the shop. Please try again.", "تعذّر الوصول إلى المتجر. حاول مرة أخرى.", "دسترسی به فروشگاه ممکن نشد. دوباره امتحان کنید."],
        /// The backend failed.
        ErrorServer => ["The shop is having trouble. Please try again soon.", "المتجر يواجه مشكلة. حاول مرة أخرى قريبًا.", "فروشگاه با مشکل روبه‌روست. کمی بعد دوباره امتحان کنید."],
        /// While a part of the widget loads.
        Loading => ["Loading…", "جارٍ التحميل…", "در حال بارگذاری…"],
        /// A part of the widget (search, hotspots, studio) whose code could not be fetched.
        PartFailed => ["Couldn't load this. Check your connection and try again.", "تعذّر التحميل. تحقّق من اتصالك وحاول مرة أخرى.", "بارگذاری نشد. اتصال خود را بررسی کنید و دوباره امتحان کنید."],
        /// The hotspot layer, for screen readers.
        Hotspots => ["Products in this video", "منتجات في هذا الفيديو", "محصولات این ویدیو"],
        /// The button that opens visual search.
        SearchOpen => ["Search by photo", "ابحث بصورة", "جستجو با عکس"],
        /// Closes the search panel.
        Close => ["Close", "إغلاق", "بستن"],
        /// Shows the player and its overlay full screen.
        FullScreen => ["Full screen", "ملء الشاشة", "تمام‌صفحه"],
        /// Leaves full screen.
        ExitFullScreen => ["Exit full screen", "إنهاء ملء الشاشة", "خروج از تمام‌صفحه"],
        /// Anything else.
        ErrorGeneric => ["Something went wrong. Please try again.", "حدث خطأ ما. حاول مرة أخرى.", "مشکلی پیش آمد. دوباره امتحان کنید."],
        /// The cart refused: the price shown is no longer the price.
        ErrorPriceChanged => ["The price changed.", "تغيّر السعر.", "قیمت تغییر کرد."],
        /// The cart refused at an old price and gave the new one: `{price}` is it.
        PriceNow => ["The price changed: now {price}.", "تغيّر السعر: الآن {price}.", "قیمت تغییر کرد: اکنون {price}."],
        /// Add-to-cart button after a price change: adds at `{price}`, the new price.
        AddAtPrice => ["Add at {price}", "أضف بسعر {price}", "افزودن با {price}"],
        /// The cart refused: one shopper may buy no more of this deal.
        ErrorLimitReached => ["Deal limit reached.", "بلغت حد العرض.", "سقف خرید پر شد."],
    }
}

texts! {
    /// Strings of visual search (the search panel's module and the image pipeline's errors).
    SearchText {
        /// A photo that cannot be read.
        PrepDecode => ["We couldn't read this image. Try another photo.", "تعذّرت قراءة هذه الصورة. جرّب صورة أخرى.", "این تصویر خوانده نشد. عکس دیگری را امتحان کنید."],
        /// A photo over the limits.
        PrepLimits => ["This image is too large. Try a smaller photo or a screenshot.", "هذه الصورة كبيرة جدًا. جرّب صورة أصغر أو لقطة شاشة.", "این تصویر بیش از حد بزرگ است. عکس کوچک‌تر یا اسکرین‌شات را امتحان کنید."],
        /// A HEIC photo the browser cannot decode.
        PrepHeic => ["HEIC photos can't be read here. Share the photo as JPEG, or set the camera to \"Most Compatible\".", "لا يمكن قراءة صور HEIC هنا. شارك الصورة بصيغة JPEG أو اضبط الكاميرا على \"الأكثر توافقًا\".", "عکس‌های HEIC اینجا خوانده نمی‌شوند. عکس را به‌صورت JPEG بفرستید یا دوربین را روی «سازگارترین» بگذارید."],
        /// Another format that cannot be read.
        PrepUnsupported => ["This image format isn't supported. Try a JPEG or PNG.", "صيغة الصورة هذه غير مدعومة. جرّب JPEG أو PNG.", "این قالب تصویر پشتیبانی نمی‌شود. JPEG یا PNG را امتحان کنید."],
        /// The search panel's heading.
        SearchTitle => ["Find similar products", "ابحث عن منتجات مشابهة", "یافتن محصولات مشابه"],
        /// Opens the camera.
        UseCamera => ["Use camera", "استخدم الكاميرا", "استفاده از دوربین"],
        /// Opens the file picker.
        ChoosePhoto => ["Choose a photo", "اختر صورة", "انتخاب عکس"],
        /// Uses the video's current frame.
        SearchFrame => ["Search this video frame", "ابحث في لقطة الفيديو هذه", "جستجوی همین فریم ویدیو"],
        /// Under the source buttons.
        DropHint => ["or drop or paste an image here", "أو أفلت صورة هنا أو الصقها", "یا تصویری را اینجا رها یا جای‌گذاری کنید"],
        /// The camera's shutter.
        Shutter => ["Take photo", "التقط صورة", "گرفتن عکس"],
        /// Leaves the camera or the photo.
        Back => ["Back", "رجوع", "بازگشت"],
        /// How to use the crop box.
        CropHint => ["Drag to frame the item. Arrow keys move the box, Shift+arrows resize it.", "اسحب لتحديد القطعة. تحرّك الأسهم المربع، و‏Shift مع الأسهم يغيّر حجمه.", "برای انتخاب کالا بکشید. کلیدهای جهت کادر را جابه‌جا می‌کنند و ‏Shift با جهت‌ها اندازه‌اش را تغییر می‌دهد."],
        /// The crop box, for screen readers.
        CropBox => ["Search area", "منطقة البحث", "ناحیه جستجو"],
        /// Starts the query.
        SearchNow => ["Search", "بحث", "جستجو"],
        /// Progress: the worker prepares the photo.
        StepPreparing => ["Preparing photo", "تجهيز الصورة", "آماده‌سازی عکس"],
        /// Progress: uploading.
        StepSending => ["Sending", "جارٍ الإرسال", "در حال ارسال"],
        /// Progress: the backend matches.
        StepMatching => ["Finding matches", "البحث عن تطابقات", "یافتن موارد مشابه"],
        /// Results heading.
        ResultsCount => ["{n} similar products", "منتجات مشابهة: {n}", "{n} محصول مشابه"],
        /// Results whose first the backend judges to be the product in the photo.
        ResultsMatch => ["This one matches your photo. {n} results:", "هذا يطابق صورتك. النتائج: {n}", "این با عکس شما مطابقت دارد. {n} نتیجه:"],
        /// The label on that first result.
        ThisOne => ["This one", "هذا هو", "همین است"],
        /// Results the backend says are none of them close: the nearest it has.
        NoCloseMatch => ["No close match. The {n} nearest products:", "لا يوجد تطابق قريب. أقرب المنتجات: {n}", "مورد خیلی مشابهی پیدا نشد. نزدیک‌ترین محصولات: {n}"],
        /// No results.
        NoResults => ["Nothing similar found. Try another photo or a tighter box.", "لم نجد شيئًا مشابهًا. جرّب صورة أخرى أو مربعًا أضيق.", "مورد مشابهی پیدا نشد. عکس دیگری یا کادر کوچک‌تری را امتحان کنید."],
        /// Similarity of a result.
        MatchPercent => ["{n}% match", "تطابق {n}٪", "{n}٪ شباهت"],
        /// The camera is blocked.
        CameraDenied => ["Camera access is blocked. Allow it in the browser's settings, or choose a photo instead.", "الوصول إلى الكاميرا محظور. اسمح به من إعدادات المتصفح، أو اختر صورة بدلًا من ذلك.", "دسترسی به دوربین مسدود است. آن را در تنظیمات مرورگر مجاز کنید یا به‌جایش عکسی انتخاب کنید."],
        /// No camera.
        CameraMissing => ["No camera was found. Choose a photo instead.", "لم يتم العثور على كاميرا. اختر صورة بدلًا من ذلك.", "دوربینی پیدا نشد. به‌جایش عکسی انتخاب کنید."],
        /// Camera held by another app.
        CameraBusy => ["The camera is in use by another app. Close it, or choose a photo instead.", "الكاميرا مستخدمة من تطبيق آخر. أغلقه، أو اختر صورة بدلًا من ذلك.", "دوربین در اختیار برنامه دیگری است. آن را ببندید یا به‌جایش عکسی انتخاب کنید."],
        /// No camera API (insecure page, old browser).
        CameraUnavailable => ["The camera can't be used on this page. Choose a photo instead.", "لا يمكن استخدام الكاميرا في هذه الصفحة. اختر صورة بدلًا من ذلك.", "در این صفحه نمی‌توان از دوربین استفاده کرد. به‌جایش عکسی انتخاب کنید."],
        /// The video frame cannot be read.
        FrameBlocked => ["This video's picture can't be captured here. Take a screenshot and choose it as a photo instead.", "لا يمكن التقاط صورة هذا الفيديو هنا. خذ لقطة شاشة واخترها كصورة بدلًا من ذلك.", "تصویر این ویدیو اینجا قابل برداشتن نیست. اسکرین‌شات بگیرید و آن را به‌عنوان عکس انتخاب کنید."],
        /// The query could not reach the backend.
        SearchOffline => ["We couldn't reach the shop. Check your connection and try again.", "تعذّر الوصول إلى المتجر. تحقّق من اتصالك وحاول مرة أخرى.", "دسترسی به فروشگاه ممکن نشد. اتصال خود را بررسی کنید و دوباره تلاش کنید."],
        /// The query took too long.
        SearchTimeout => ["The search took too long. Please try again.", "استغرق البحث وقتًا طويلًا. حاول مرة أخرى.", "جستجو بیش از حد طول کشید. دوباره تلاش کنید."],
        /// The backend has no visual search.
        SearchUnavailable => ["Photo search isn't available right now.", "البحث بالصور غير متاح الآن.", "جستجو با عکس در حال حاضر در دسترس نیست."],
        /// The backend is busy, or the shopper searched very often.
        SearchBusy => ["Many searches right now. Try again in a moment.", "عمليات بحث كثيرة الآن. حاول مرة أخرى بعد قليل.", "الان جستجوها زیاد است. کمی بعد دوباره امتحان کنید."],
    }
}

texts! {
    /// Strings of the creator studio (its controls and the manifest's validation).
    StudioText {
        /// Manifest from a newer studio.
        HotspotVersion => ["This overlay was made with a newer version of the studio.", "صُنعت هذه الطبقة بإصدار أحدث من الاستوديو.", "این لایه با نسخه جدیدتری از استودیو ساخته شده است."],
        /// Too many hotspots.
        HotspotTooMany => ["Too many hotspots in one video. Remove some.", "نقاط تفاعلية كثيرة جدًا في فيديو واحد. احذف بعضها.", "نقطه‌های خرید یک ویدیو بیش از حد است. چندتا را حذف کنید."],
        /// Two hotspots share an id.
        HotspotDuplicate => ["Two hotspots share the same id.", "نقطتان تفاعليتان لهما المعرّف نفسه.", "دو نقطه خرید شناسه یکسانی دارند."],
        /// No product attached.
        HotspotNoProduct => ["Attach a product to this hotspot.", "اربط منتجًا بهذه النقطة التفاعلية.", "به این نقطه خرید یک محصول وصل کنید."],
        /// The product is not in the catalog.
        HotspotUnknownProduct => ["This product is not in the catalog any more. Pick another.", "هذا المنتج لم يعد في الكتالوج. اختر منتجًا آخر.", "این محصول دیگر در کاتالوگ نیست. محصول دیگری انتخاب کنید."],
        /// End before start.
        HotspotEmptyRange => ["The hotspot ends before it starts.", "تنتهي النقطة التفاعلية قبل أن تبدأ.", "نقطه خرید پیش از شروعش تمام می‌شود."],
        /// Outside the video.
        HotspotOutsideVideo => ["The hotspot's times are outside the video.", "أوقات النقطة التفاعلية خارج الفيديو.", "زمان‌های نقطه خرید بیرون از ویدیو است."],
        /// No position.
        HotspotKeyframes => ["Place the hotspot on the picture.", "ضع النقطة التفاعلية على الصورة.", "نقطه خرید را روی تصویر بگذارید."],
        /// A keyframe outside the picture or time range.
        HotspotKeyframeOutside => ["A position of this hotspot is outside the picture or its time range.", "أحد مواضع هذه النقطة خارج الصورة أو خارج مدتها.", "یکی از جایگاه‌های این نقطه بیرون از تصویر یا بازه زمانی‌اش است."],
        /// Label too long.
        HotspotLabelTooLong => ["Keep the label and call to action under {n} characters.", "اجعل التسمية ودعوة الإجراء أقل من {n} حرفًا.", "برچسب و دعوت به اقدام را زیر {n} نویسه نگه دارید."],
        /// Studio: "Hotspots".
        StudioTabHotspots => ["Hotspots", "النقاط التفاعلية", "نقطه‌های خرید"],
        /// Studio: "Live".
        StudioTabLive => ["Live", "مباشر", "زنده"],
        /// Studio: "Creator token".
        StudioToken => ["Creator token ", "رمز صانع المحتوى ", "توکن سازنده "],
        /// Studio: "Click the picture to add a hotspot at this moment".
        StudioPicture => ["Click the picture to add a hotspot at this moment", "انقر على الصورة لإضافة نقطة تفاعلية في هذه اللحظة", "برای افزودن نقطه خرید در این لحظه روی تصویر کلیک کنید"],
        /// Studio: "Play".
        StudioPlay => ["Play", "تشغيل", "پخش"],
        /// Studio: "Pause".
        StudioPause => ["Pause", "إيقاف مؤقت", "توقف"],
        /// Studio: "Previous frame".
        StudioPrevFrame => ["Previous frame", "الإطار السابق", "فریم قبلی"],
        /// Studio: "Next frame".
        StudioNextFrame => ["Next frame", "الإطار التالي", "فریم بعدی"],
        /// Studio: "Timeline".
        StudioTimeline => ["Timeline", "الخط الزمني", "خط زمان"],
        /// Studio: "Video URL".
        StudioVideoUrl => ["Video URL ", "رابط الفيديو ", "نشانی ویدیو "],
        /// Studio: "or a file".
        StudioVideoFile => ["or a file ", "أو ملف ", "یا یک فایل "],
        /// Studio: "Undo".
        StudioUndo => ["Undo", "تراجع", "واگرد"],
        /// Studio: "Redo".
        StudioRedo => ["Redo", "إعادة", "ازنو"],
        /// Studio: "Save".
        StudioSave => ["Save", "حفظ", "ذخیره"],
        /// Studio: "Export JSON".
        StudioExportJson => ["Export JSON", "تصدير JSON", "خروجی JSON"],
        /// Studio: "Export WebVTT".
        StudioExportVtt => ["Export WebVTT", "تصدير WebVTT", "خروجی WebVTT"],
        /// Studio: "Import".
        StudioImport => ["Import ", "استيراد ", "ورود "],
        /// Studio: "Saving…".
        StudioSaving => ["Saving…", "جارٍ الحفظ…", "در حال ذخیره…"],
        /// Studio: "Saved ({n}).".
        StudioSaved => ["Saved ({n}).", "تم الحفظ ({n}).", "ذخیره شد ({n})."],
        /// Studio: "Offline: the save is kept here and will be sent when the connection is back.".
        StudioQueued => ["Offline: the save is kept here and will be sent when the connection is back.", "غير متصل: الحفظ محفوظ هنا وسيُرسل عند عودة الاتصال.", "آفلاین: ذخیره اینجا نگه داشته می‌شود و با برگشتن اتصال فرستاده می‌شود."],
        /// Studio: "Someone saved first. Their changes and yours merged cleanly: review, then save again.".
        StudioMerged => ["Someone saved first. Their changes and yours merged cleanly: review, then save again.", "حفظ شخص آخر أولًا. دُمجت تغييراته مع تغييراتك بسلاسة: راجعها ثم احفظ مجددًا.", "کس دیگری زودتر ذخیره کرد. تغییرات او و شما بی‌مشکل ادغام شد: بازبینی کنید و دوباره ذخیره کنید."],
        /// Studio: "Someone saved first, and {n} hotspot(s) changed on both sides. Choose what to keep.".
        StudioConflicts => ["Someone saved first, and {n} hotspot(s) changed on both sides. Choose what to keep.", "حفظ شخص آخر أولًا، وتغيّرت {n} نقطة تفاعلية لدى الطرفين. اختر ما تحتفظ به.", "کس دیگری زودتر ذخیره کرد و {n} نقطه خرید در هر دو طرف تغییر کرده است. انتخاب کنید چه بماند."],
        /// Studio: "A creator token is needed to save. Enter yours above.".
        StudioNeedToken => ["A creator token is needed to save. Enter yours above.", "يلزم رمز صانع المحتوى للحفظ. أدخل رمزك في الأعلى.", "برای ذخیره توکن سازنده لازم است. توکن خود را بالا وارد کنید."],
        /// Studio: "The server refused the save ({n}).".
        StudioRefused => ["The server refused the save ({n}).", "رفض الخادم الحفظ ({n}).", "کارگزار ذخیره را نپذیرفت ({n})."],
        /// Studio: "Couldn't load this video's saved hotspots. Check your connection and reload the page.".
        StudioLoadFailed => ["Couldn't load this video's saved hotspots. Check your connection and reload the page.", "تعذّر تحميل النقاط التفاعلية المحفوظة لهذا الفيديو. تحقّق من اتصالك وأعد تحميل الصفحة.", "نقطه‌های خرید ذخیره‌شده این ویدیو بارگیری نشد. اتصال خود را بررسی کنید و صفحه را دوباره بارگیری کنید."],
        /// Studio: "Your unsaved draft was restored.".
        StudioDraftRestored => ["Your unsaved draft was restored.", "استُعيدت مسودتك غير المحفوظة.", "پیش‌نویس ذخیره‌نشده شما بازیابی شد."],
        /// Studio: "Imported.".
        StudioImported => ["Imported.", "تم الاستيراد.", "وارد شد."],
        /// Studio: "That file is not a live-shop manifest or WebVTT track.".
        StudioBadImport => ["That file is not a live-shop manifest or WebVTT track.", "هذا الملف ليس بيان live-shop ولا مسار WebVTT.", "این فایل نه مانیفست live-shop است و نه مسیر WebVTT."],
        /// Studio: "Merge (keep my side of conflicts)".
        StudioMerge => ["Merge (keep my side of conflicts)", "دمج (مع الاحتفاظ بجانبي في التعارضات)", "ادغام (با نگه داشتن نسخه من در تعارض‌ها)"],
        /// Studio: "Keep mine".
        StudioKeepMine => ["Keep mine", "احتفظ بنسختي", "نسخه من بماند"],
        /// Studio: "Take theirs".
        StudioTakeTheirs => ["Take theirs", "خذ نسختهم", "نسخه آن‌ها را بگیر"],
        /// Studio: "Keep both".
        StudioKeepBoth => ["Keep both", "احتفظ بالاثنتين", "هر دو بماند"],
        /// Studio: "Problems".
        StudioProblems => ["Problems", "مشكلات", "مشکل‌ها"],
        /// Studio: "Hotspot {n}".
        StudioHotspot => ["Hotspot {n}", "النقطة التفاعلية {n}", "نقطه خرید {n}"],
        /// Studio: "No product yet".
        StudioNoProduct => ["No product yet", "لا منتج بعد", "هنوز محصولی نیست"],
        /// Studio: "No hotspots yet. Play or scrub to the moment a product shows, then click it in the picture.".
        StudioEmpty => ["No hotspots yet. Play or scrub to the moment a product shows, then click it in the picture.", "لا نقاط تفاعلية بعد. شغّل الفيديو أو انتقل إلى اللحظة التي يظهر فيها المنتج، ثم انقر عليه في الصورة.", "هنوز نقطه خریدی نیست. ویدیو را پخش کنید یا به لحظه‌ای بروید که محصول دیده می‌شود، سپس روی آن در تصویر کلیک کنید."],
        /// Studio: "Find a product".
        StudioFindProduct => ["Find a product ", "ابحث عن منتج ", "یافتن محصول "],
        /// Studio: "From".
        StudioFrom => ["From ", "من ", "از "],
        /// Studio: "to".
        StudioTo => ["to ", "إلى ", "تا "],
        /// Studio: "Start here".
        StudioStartHere => ["Start here", "ابدأ هنا", "شروع از اینجا"],
        /// Studio: "End here".
        StudioEndHere => ["End here", "انتهِ هنا", "پایان در اینجا"],
        /// Studio: "{n} position(s): move the dot at another moment to add one.".
        StudioPositions => ["{n} position(s): move the dot at another moment to add one.", "عدد المواضع {n}: حرّك النقطة في لحظة أخرى لإضافة موضع.", "{n} جایگاه: برای افزودن جایگاه، نقطه را در لحظه‌ای دیگر جابه‌جا کنید."],
        /// Studio: "Label".
        StudioLabel => ["Label ", "التسمية ", "برچسب "],
        /// Studio: "Call to action".
        StudioCta => ["Call to action ", "دعوة لإجراء ", "دعوت به اقدام "],
        /// Studio: "Delete hotspot".
        StudioDelete => ["Delete hotspot", "احذف النقطة التفاعلية", "حذف نقطه خرید"],
        /// Studio: "Live control".
        StudioLive => ["Live control", "التحكم المباشر", "کنترل زنده"],
        /// Studio: "Stream {n}".
        StudioStream => ["Stream {n}", "البث {n}", "پخش {n}"],
        /// Studio: "Pin".
        StudioPin => ["Pin", "ثبّت", "سنجاق کن"],
        /// Studio: "Unpin".
        StudioUnpin => ["Unpin", "ألغِ التثبيت", "برداشتن سنجاق"],
        /// Studio: "Flash deal".
        StudioFlashDeal => ["Flash deal", "عرض خاطف", "حراج لحظه‌ای"],
        /// Studio: "Price".
        StudioPrice => ["Price ", "السعر ", "قیمت "],
        /// Studio: "Seconds".
        StudioSeconds => ["Seconds ", "الثواني ", "ثانیه "],
        /// Studio: "Stock limit".
        StudioStock => ["Stock limit ", "حد المخزون ", "سقف موجودی "],
        /// Studio: "Start flash deal".
        StudioStartDeal => ["Start flash deal", "ابدأ العرض الخاطف", "شروع حراج لحظه‌ای"],
        /// Studio: "Sent: every viewer sees it now.".
        StudioSent => ["Sent: every viewer sees it now.", "أُرسل: يراه كل المشاهدين الآن.", "فرستاده شد: همه بینندگان اکنون آن را می‌بینند."],
        /// Studio: "A creator token is needed.".
        StudioNeedTokenLive => ["A creator token is needed.", "يلزم رمز صانع المحتوى.", "توکن سازنده لازم است."],
        /// Studio: "Refused ({n}).".
        StudioRefusedLive => ["Refused ({n}).", "مرفوض ({n}).", "پذیرفته نشد ({n})."],
        /// Studio: "Offline: not sent.".
        StudioOffline => ["Offline: not sent.", "غير متصل: لم يُرسل.", "آفلاین: فرستاده نشد."],
        /// Studio: "Check the deal: the price must be above zero and below the current price.".
        StudioDealPrice => ["Check the deal: the price must be above zero and below the current price.", "راجع العرض: يجب أن يكون السعر أكبر من صفر وأقل من السعر الحالي.", "حراج را بررسی کنید: قیمت باید بیشتر از صفر و کمتر از قیمت فعلی باشد."],
        /// Studio: "Check the deal: it must last between 10 seconds and 24 hours.".
        StudioDealDuration => ["Check the deal: it must last between 10 seconds and 24 hours.", "راجع العرض: يجب أن تتراوح مدته بين 10 ثوانٍ و24 ساعة.", "حراج را بررسی کنید: مدت آن باید بین ۱۰ ثانیه و ۲۴ ساعت باشد."],
        /// Studio: "This product has no price to discount.".
        StudioDealNoOffer => ["This product has no price to discount.", "لا يوجد سعر لهذا المنتج لتخفيضه.", "این محصول قیمتی برای تخفیف ندارد."],
        /// Studio: "deleted".
        StudioDeleted => ["deleted", "محذوفة", "حذف‌شده"],
        /// Studio: "yours".
        StudioYours => ["yours", "نسختك", "نسخه شما"],
        /// Studio: "theirs".
        StudioTheirs => ["theirs", "نسختهم", "نسخه آن‌ها"],
    }
}

/// Wraps a clock reading (`1:05`) in a left-to-right isolate, so right-to-left text around it
/// can never reorder its parts.
pub fn ltr_isolate(text: &str) -> String {
    format!("\u{2066}{text}\u{2069}")
}

/// Replaces `{key}` with `value` in a translated template.
pub fn fill(template: &str, key: &str, value: &str) -> String {
    template.replace(&format!("{{{key}}}"), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_wins_then_page_lang_then_english() {
        assert_eq!(Locale::negotiate(Some("ar"), Some("fa")).lang, Lang::Ar);
        assert_eq!(Locale::negotiate(None, Some("fa-IR")).lang, Lang::Fa);
        assert_eq!(Locale::negotiate(Some("de"), Some("ar-EG")).tag, "ar-EG");
        assert_eq!(Locale::negotiate(Some("<script>"), None), Locale::default());
        assert_eq!(Locale::negotiate(None, None).lang, Lang::En);
    }

    #[test]
    fn arabic_and_persian_are_right_to_left() {
        assert_eq!(Lang::Ar.dir(), "rtl");
        assert_eq!(Lang::Fa.dir(), "rtl");
        assert_eq!(Lang::En.dir(), "ltr");
    }

    #[test]
    fn picks_native_digits() {
        let ar = Locale::negotiate(Some("ar"), None);
        assert_eq!(ar.intl_tag(), "ar-u-nu-arab");
        assert_eq!(ar.digits().apply("12:05"), "١٢:٠٥");
        let fa = Locale::negotiate(Some("fa"), None);
        assert_eq!(fa.digits().apply("2:09"), "۲:۰۹");
        let ma = Locale::negotiate(Some("ar-MA"), None);
        assert_eq!(ma.digits(), Digits::Latin);
        let chosen = Locale::negotiate(Some("ar-u-nu-latn"), None);
        assert_eq!(chosen.intl_tag(), "ar-u-nu-latn");
        assert_eq!(chosen.digits(), Digits::Latin);
    }

    #[test]
    fn every_string_is_translated() {
        let all = Text::ALL
            .iter()
            .map(|t| {
                (
                    format!("{t:?}"),
                    [Lang::En, Lang::Ar, Lang::Fa].map(|l| t.get(l)),
                )
            })
            .chain(SearchText::ALL.iter().map(|t| {
                (
                    format!("{t:?}"),
                    [Lang::En, Lang::Ar, Lang::Fa].map(|l| t.get(l)),
                )
            }))
            .chain(StudioText::ALL.iter().map(|t| {
                (
                    format!("{t:?}"),
                    [Lang::En, Lang::Ar, Lang::Fa].map(|l| t.get(l)),
                )
            }));
        for (text, [en, ar, fa]) in all {
            for (lang, translated) in [(Lang::Ar, ar), (Lang::Fa, fa)] {
                assert!(!translated.is_empty(), "{text:?} {lang:?}");
                let has_letters = en.chars().any(char::is_alphabetic);
                if has_letters {
                    assert_ne!(translated, en, "{text:?} is not translated into {lang:?}");
                }
                for placeholder in ["{n}", "{price}", "{title}", "{time}"] {
                    assert_eq!(
                        en.contains(placeholder),
                        translated.contains(placeholder),
                        "{text:?} {lang:?} {placeholder}"
                    );
                }
            }
        }
    }

    #[test]
    fn clock_readings_are_isolated_left_to_right() {
        let fa = Locale::negotiate(Some("fa"), None);
        let text = fill(
            fa.text(Text::EndsIn),
            "time",
            &ltr_isolate(&fa.digits().apply("1:05")),
        );
        assert_eq!(text, "پایان تا \u{2066}۱:۰۵\u{2069}");
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(fill(Text::Left.get(Lang::En), "n", "12"), "12 left");
    }
}
