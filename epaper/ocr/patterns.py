"""Data tables for recognising the parts of a Chinese news page: datelines, byline labels, credits, headline verbs."""

from __future__ import annotations

import datetime as _dt
import re

S = "[ \\t\\u3000]*"  # OCR puts stray spaces anywhere, including inside datelines
HANS = "\u4e00-\u9fff"

# 电头 and 本报讯 forms. The organisation comes first, then an optional place, then the date, then 讯/电.
SELF = "本报|本報|本刊|本台"
AGENCIES = ("新华社|新華社|中新社|中新网|中新網|中国新闻社|中國新聞社|中通社|人民网|人民網|新华网|新華網|央视网|央視網|"
            "央视新闻|央視新聞|中央社|法新社|路透社|美联社|美聯社|共同社|人民日报|人民日報|光明日报|光明日報|经济日报|"
            "經濟日報|工人日报|工人日報|解放军报|解放軍報|中国日报|中國日報|中国青年报|中國青年報")
OTHER_PAPER = f"[{HANS}]{{2,8}}?(?:日报|日報|晚报|晚報|时报|時報|商报|商報|早报|早報|都市报|都市報)"
NUM = "(?:\\d{1,2}|[一二三四五六七八九十廿卅]{1,3})"  # 18日, and 十八日 in older papers
DATE = f"(?:{NUM}{S}月{S})?{NUM}{S}日"
PLACE = f"(?:[{HANS}]{{1,8}}?{S})?"
DATELINE = re.compile(
    f"^(?P<open>[□■◆●▲]?{S}[【\\[〔]?){S}"
    f"(?P<dl>(?:{SELF}){S}(?:{PLACE}{DATE}{S})?[讯訊电電]"
    f"|(?:据|據)?{S}(?:{AGENCIES}|{OTHER_PAPER}){S}{PLACE}{DATE}{S}[电電讯訊]"
    f"|(?:{AGENCIES}|{OTHER_PAPER}){S}[讯訊]"
    f"|[{HANS}]{{2,4}}?(?:專訊|专讯))"  # Hong Kong: 【明報專訊】
    f"(?P<close>{S}[】\\]〕])?")
# The same, found after a headline on one line (OCR often runs the headline into the text).
# Taiwan's agency style puts the reporter inside the dateline: （中央社記者王小明台北18日電）.
PAREN_DATELINE = re.compile(f"^(?P<dl>[（(〔【\\[]{S}(?:{AGENCIES}){S}(?:記者|记者)[^（）()〔〕【】]{{2,30}}?{DATE}{S}[电電]{S}"
                            "[）)〕】\\]])")
# Taiwan and Hong Kong papers open with the reporter and the place: 〔記者王小明／新竹報導〕, 【記者陳美玲／台北報導】.
REPORTED_FROM = re.compile(f"^(?P<dl>[〔【\\[（(]{S}(?:(?:本報|本报|特派|駐地|驻地)?(?:記者|记者)|本報|本报)"
                           f"[^〔〕【】\\[\\]（）()]{{1,30}}?[／/]{S}[{HANS}]{{1,8}}{S}(?:報導|报道|報道|报导|電|电)"
                           f"{S}[〕】\\]）)]"
                           f"|(?:記者|记者)[^〔〕【】\\[\\]（）()／/，。]{{2,12}}[／/]{S}[{HANS}]{{1,8}}{S}(?:報導|報道))")
# The start of a dateline, to join a dateline that a column break cut in two (新华社南京12月1 / 9日电).
DATELINE_START = re.compile(f"^[【\\[〔]?{S}(?:{SELF}|{AGENCIES})")
DATELINE_INLINE = re.compile(
    f"(?<=[ \\t\\u3000])[【\\[〔]?{S}(?:(?:{SELF}){S}(?:{PLACE}{DATE}{S})?[讯訊]"
    f"|(?:{AGENCIES}){S}{PLACE}{DATE}{S}[电電])")

# Page furniture that OCR picks up with the text: folio (第3版), date line, editor credits, jump lines (下转第2版).
FURNITURE = re.compile(f"^(?:第{S}\\d+{S}版|\\d{{4}}{S}年{S}\\d{{1,2}}{S}月{S}\\d{{1,2}}{S}日{S}(?:星期|周|週)|"
                       f"责任编辑|責任編輯|美{S}编|美{S}編|校{S}对|校{S}對|版式设计|[（(]{S}(?:下转|上接|下轉){S}第)")

FURNITURE_REASON = "page furniture the layout prints itself (folio, date, editor, jump line)"

# Labels before names in a byline; the layout prints 记者 and 通讯员 itself ("本报讯（记者　X　通讯员　Y）").
REPORTER_LABELS = ("本报记者", "本報記者", "新华社记者", "新華社記者", "本报见习记者", "本報見習記者", "见习记者",
                   "見習記者", "实习记者", "實習記者", "特派记者", "特派記者", "首席记者", "首席記者", "融媒记者",
                   "融媒記者", "记者", "記者", "实习生", "實習生")
CORRESPONDENT_LABELS = ("特约通讯员", "特約通訊員", "通讯员", "通訊員")
LABEL = re.compile("|".join(S.join(label) for label in sorted(REPORTER_LABELS + CORRESPONDENT_LABELS, key=len,
                                                             reverse=True)))
# A byline on its own line: □本报记者 X, 文/图 X, 记者 X 通讯员 Y, 本报记者X报道.
BYLINE_MARK = re.compile(f"^[□■◆●▲]{S}")
WRITER_PREFIX = re.compile(f"^(?:文{S}[/／、]{S}[图圖]|[图圖]{S}[/／、]{S}文|[图圖]文|文[图圖]|撰文|文|[图圖]){S}[/／:：]?{S}")
REPORT_TAIL = re.compile(f"{S}(?:报道|報導|报导|報道)$")
NAME = re.compile(f"[{HANS}]{{2,4}}(?:[·•][{HANS}]{{1,6}})?|[A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+)*")
NAME_SEP = re.compile(f"[{S[1:-2]}、]+")  # not commas: 记者了解到，近年来 is a sentence, not three names

# Photo credits: "陆新 钱垒 摄", "（本报记者 陆新 摄）", "新华社记者 X 摄", Traditional 攝.
CREDIT_MARK = re.compile(f"[/／]?{S}(?P<mark>[摄攝](?:影)?){S}[）)]?{S}$")
CREDIT_LABELS = re.compile("^(?:本报|本報|新华社|新華社|特约|特約)?(?:摄影记者|攝影記者|记者|記者|通讯员|通訊員|摄影|攝影)")

# Verbs that open a headline clause: a one-line headline "A B" whose B starts with one and A does not is one
# sentence split by a space ("240个校外教育辅导站 实现区域全覆盖"); when both start with one, B is a 副题.
HEADLINE_VERBS = frozenset(
    "构建 健全 推进 推动 加强 加快 打造 实现 提升 建设 建立 完善 深化 落实 召开 举行 开展 启动 发布 成立 签约 出台 助力 "
    "聚焦 筑牢 守护 织密 织牢 激发 促进 优化 强化 扩大 培育 坚持 牢记 奋力 全力 持续 积极 做好 抓好 答好 书写 绘就 擘画 "
    "共建 共享 共促 打响 跑出 按下 迈出 跑好 走好 走稳 勇当 争当 争做 争创 奏响 唱响 谱写 交出 展现 展示 彰显 点亮 激活 "
    "赋能 护航 破解 攻坚 冲刺 决战 决胜 锚定 瞄准 对标 围绕 突出 深耕 做强 做优 做大 壮大 打通 畅通 提速 提质 增效 "
    "推廣 構建 健全 推進 推動 加強 加快 打造 實現 提升 建設 建立 完善 深化 落實 召開 舉行 開展 啟動 發佈 發布 成立 "
    "促進 優化 強化 擴大 培育 堅持 積極 做好".split())

# How a paragraph often begins: after a blank line, a line ending mid-sentence followed by one of these is
# taken as a paragraph that lost its final punctuation, not as a sentence broken by a column.
PARAGRAPH_OPENER = re.compile(
    f"^(?:[{HANS}]{{1,6}}(?:指出|强调|強調|表示|认为|認為|说|說|介绍|介紹|提出|要求|透露|坦言|告诉记者|告訴記者)[，：,:]"
    "|(?:会上|會上|会议|會議|据悉|據悉|据了解|據了解|据介绍|據介紹|目前|近年来|近年來|此外|同时|同時|另外|另据|另據|"
    "接下来|接下來|下一步|今年以来|今年以來|随后|隨後|最后|最後|首先|其次|对此|對此|为此|為此|与此同时|與此同時)[，、,]"
    "|[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，、,]"
    f"|要[{HANS}]{{4,18}}。)")

# A lone "-" before these is an OCR slip for 一 beyond reasonable doubt, so it is fixed (and still reported).
DASH_YI_WORDS = ("一把手", "一体化", "一體化", "一站式", "一线", "一線", "一批", "一系列", "一係列", "一些", "一起", "一直",
                 "一定", "一方面", "一步", "一次", "一个", "一個", "一种", "一種", "一般", "一致", "一带一路",
                 "一网通办", "一网统管", "一件事", "一张图", "一盘棋", "一揽子", "一流", "一季度")

# ---- web-page chrome and scan furniture (clean.py) -------------------------------------------------------------
# (pattern, reason written in removed.txt, strong: applies to any input, not only to a recognised web page)
_SHORT = "(?=.{0,80}$)"  # chrome is a short line; a long line naming 版权 is copy
CHROME_LINES = (
    (re.compile(f"^{_SHORT}[【\\[〔(（]?{S}(?:上一篇|下一篇|上一條|下一條|上一则|下一则|上一則|下一則|相關新聞|相关新闻|"
                "延伸閱讀|延伸阅读|相关阅读|相關閱讀|推荐阅读|推薦閱讀|热门推荐|熱門推薦|熱門新聞|热门新闻)"),
     "links to other articles of the site (上一篇/下一篇)", True),
    (re.compile(f"^{_SHORT}.*(?:版权所有|版權所有|[Cc]opyright|©|未经.{{0,12}}(?:许可|授权|同意).{{0,24}}(?:转载|使用|复制)|"
                "未經.{0,12}(?:許可|授權|同意).{0,24}(?:轉載|使用|複製)|不得转载|不得轉載|禁止转载|禁止轉載)"),
     "copyright footer of the site", True),
    (re.compile(f"^{_SHORT}.*(?:ICP{S}[备備证證]|ICP{S}\\d|公网安备|公網安備|增值电信业务|增值電信業務|"
                "互联网新闻信息服务许可|違法和不良信息舉報|违法和不良信息举报)"),
     "site registration and licence footer (ICP 备案)", True),
    (re.compile(f"^{_SHORT}[【\\[]?{S}(?:分享到|分享至|分享{S}[：:]|扫一扫|掃一掃|扫描二维码|掃描二維碼|微信扫一扫|"
                "用微信扫描|打开微信)"),
     "share links of the site", True),
    (re.compile(f"^{_SHORT}(?:当前位置|您当前的位置|您的位置|您现在的位置|當前位置|目前位置|您現在的位置)"),
     "site navigation (breadcrumb)", True),
    (re.compile(f"^{_SHORT}.*(?:[【\\[]{S}(?:字号|字號|字体|字體){S}[：:]?{S}[大中小]|【{S}打印{S}】|【{S}关闭{S}】|"
                "【{S}關閉{S}】|打印本页|打印本頁|关闭窗口|關閉視窗|返回顶部|返回頂部|返回目录|返回目錄|返回首页|返回首頁)"),
     "page tools of the site (font size, print, close, back)", True),
    (re.compile(f"^(?=.{{0,40}}$)[【\\[（(]?{S}(?:责任编辑|責任編輯|编辑|編輯|校对|校對|审核|審核|终审|終審|监制|監製|"
                f"值班编辑|值班編輯|美编|美編|版式设计|版式設計){S}[：:]"),
     "editor credit line (the layout prints 责任编辑 itself)", True),
    (re.compile(f"^{S}[A-Z]{{1,2}}{S}\\d{{1,2}}{S}[{HANS}]{{2,6}}{S}$"),
     "page label (版次 and 版名: the layout prints its own)", True),
    (re.compile(f"^(?=.{{0,40}}$)(?!.*[，。,])[^0-9]{{0,16}}\\d{{2,4}}{S}年{S}\\d{{1,2}}{S}月{S}\\d{{1,2}}{S}日{S}"
                "(?:星期|周|週|禮拜|礼拜)[一二三四五六日天]"),
     "date line of the page (the layout prints the issue date itself)", True),
)
CHROME_STRONG = tuple(p for p, _, strong in CHROME_LINES[:6])  # two of these make the input a web page
WEB_META = re.compile(f"^(?=.{{0,100}}$)[【\\[（(]?{S}(?:来源|來源|作者|发布时间|發佈時間|發布時間|发布日期|發布日期|"
                      f"发表时间|時間|时间|日期|浏览次数|瀏覽次數|浏览量|点击数|點擊數|点击量|阅读|閱讀|阅读量){S}[：:]")
NAV_WORDS = frozenset(
    "首页 首頁 网站首页 本站首页 返回 目录 目錄 版面导航 版面導航 标题导航 標題導航 上一版 下一版 上一期 下一期 往期 往期回顾 "
    "往期回顧 过刊 過刊 过刊检索 数字报 數字報 电子版 電子版 电子报 登录 登錄 注册 註冊 搜索 检索 檢索 打印 关闭 關閉 收藏 "
    "分享 字号 字號 大 中 小 默认 PDF PDF版 PDF下载 下载 本版 本版新闻 放大 缩小 朗读 微信 微博 QQ QQ空间 朋友圈 今日 "
    "版面 新闻 新聞 要闻 要聞 时政 時政 国内 國內 国际 國際 社会 社會 财经 財經 体育 體育 文化 评论 評論 视频 視頻 图片 圖片 "
    "专题 專題 客户端 English Home Print Close".split())
NAV_SPLIT = re.compile(f"[{S[1:-2]}|｜/／>＞»›·•、【】\\[\\]（）()<]+")
# A scan's page break written into the text: === 第2頁 ===, -- 3 --, [page 4]
PAGE_BREAK = re.compile(f"^[-=—─_*\\s\\[【（(]*(?:第{S}[0-9一二三四五六七八九十百]+{S}[頁页張张版](?:{S}[{HANS}]{{1,6}})?|"
                        f"[Pp]age{S}\\d+|\\d{{1,3}})[-=—─_*\\s\\]】）)]*$")
# 2024-12-19专栏：… at the start of an exported item: a date and a section, then the copy
DATE_PREFIX = re.compile(f"^{S}\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}{S}(?:[{HANS}]{{0,10}}{S}[：:]{S}|(?=[{HANS}]))")
HTML_ENTITIES = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,7}|#x[0-9a-fA-F]{1,6});")

_DATE_FORMS = (
    re.compile(f"(\\d{{4}}){S}年{S}(\\d{{1,2}}){S}月{S}(\\d{{1,2}}){S}日{S}[，,]?{S}(?:星期|周|週|禮拜|礼拜)[一二三四五六日天]"),
    re.compile(f"^{S}(\\d{{4}})-(\\d{{1,2}})-(\\d{{1,2}})(?![\\d:])"),
    re.compile(f"(?:发布时间|發佈時間|發布時間|发布日期|發布日期|出版日期|日期|时间|時間){S}[：:]{S}(\\d{{4}})"
               f"{S}[-/.年]{S}(\\d{{1,2}}){S}[-/.月]{S}(\\d{{1,2}})"),
    re.compile(f"^(?=.{{0,30}}$)(?:{S}第{S}\\d+{S}版.*)?{S}(\\d{{4}}){S}年{S}(\\d{{1,2}}){S}月{S}(\\d{{1,2}}){S}日"
               f"(?:{S}(?:第{S}\\d+{S}版.*|[（(].*|农历.*|農曆.*))?{S}$"),
)


# Taiwan papers date by the Republic: 中華民國113年12月19日 星期四 (year + 1911)
_ROC_DATE = re.compile(f"(?:中華民國|中华民国|民國|民国){S}(\\d{{2,3}}){S}年{S}(\\d{{1,2}}){S}月{S}(\\d{{1,2}}){S}日"
                       f"(?=.{{0,12}}(?:星期|週|周|禮拜)|{S}$)")


# 一九四九年十月一日 星期六 in the furniture of older pages
_HAN_DIGITS = "〇一二三四五六七八九零"
_HAN_DATE = re.compile(f"^(?=.{{0,40}}$)(?!.*[，。,])[^〇零一二三四五六七八九]{{0,12}}([〇零一二三四五六七八九]{{4}}){S}年{S}"
                       f"([一二三四五六七八九十]{{1,3}}){S}月{S}([一二三四五六七八九十廿卅]{{1,3}}){S}日")


def date_in(line: str) -> tuple[_dt.date, str] | None:
    """The issue date a line of furniture states (2024年12月19日 星期四, a YYYY-MM-DD prefix, 发布时间：…,
    中華民國113年12月19日), or None."""
    for form in _DATE_FORMS:
        m = form.search(line)
        if m:
            try:
                day = _dt.date(*map(int, m.groups()))
            except ValueError:
                continue
            if 1800 <= day.year <= 2999:  # the range issue.toml accepts
                return day, m.group().strip()
    m = _ROC_DATE.search(line)
    if m:
        try:
            return _dt.date(int(m.group(1)) + 1911, int(m.group(2)), int(m.group(3))), m.group().strip()
        except ValueError:
            return None
    m = _HAN_DATE.search(line)
    if m:
        year = int("".join(str(_HAN_DIGITS.index(c) % 10) for c in m.group(1)))
        try:
            day = _dt.date(year, _han_number(m.group(2)), _han_number(m.group(3)))
        except ValueError:
            return None
        return (day, line[m.start(1):m.end()].strip()) if 1800 <= day.year <= 2999 else None
    return None


def _han_number(s: str) -> int:
    """一 … 三十一 (also 廿, 卅) as a number."""
    tens = {"十": 10, "廿": 20, "卅": 30}
    if s[0] in tens:
        return tens[s[0]] + (_HAN_DIGITS.index(s[1]) % 10 if len(s) > 1 else 0)
    if len(s) > 1 and s[1] == "十":
        return (_HAN_DIGITS.index(s[0]) % 10) * 10 + (_HAN_DIGITS.index(s[2]) % 10 if len(s) > 2 else 0)
    return _HAN_DIGITS.index(s[0]) % 10

# A photo caption's mark in Taiwan and Hong Kong papers (▲ 市民在公園賞梅。), also used on the mainland.
CAPTION_MARK = re.compile(f"^[▲△▼►■◆]{S}")
# 圖／記者張三攝, （圖／中央社）, 摄影：本报记者 张三: the picture's source after 圖／ or 摄影： (the 攝 optional)
PHOTO_BY = re.compile(f"[（(]?{S}(?:[圖图]片?|[摄攝]影){S}[／/：:]{S}(?P<who>[^（）()／/。，：:]{{2,24}}?){S}(?:[／/]?{S}[攝摄](?:影)?)?"
                      f"{S}[）)]?{S}$")
# Sources that are not a photographer: kept in the caption as printed (the layout would print “X 摄”)
SOURCE_NOTE = re.compile(f"[（(]?{S}(?:[圖图]{S}[／/：:]{S})?(?:本報|本报|報社|报社)?(?:資料(?:圖片|照片|相片|圖|图)|"
                         f"资料(?:图片|照片|图)|(?:圖片|图片|照片)?(?:取自|翻攝自|翻摄自|截自)[^（）()]{{0,14}}|"
                         f"[^（）()。，／/]{{1,16}}(?:提供|供圖|供图|供稿)|(?:新华社|新華社|中新社|中新網|中新网)[^（）()。，]{{0,8}}?[发發])"
                         f"{S}[）)]?{S}$")
