"""Body texts of the Swedish agency page set: one topic per page, written as agencies write them."""

from __future__ import annotations

from typing import TypedDict


class Topic(TypedDict):
    """One page's own content: what an extractor must keep."""

    slug: str
    title: str
    lead: str
    paras: list[str]
    h2: str
    paras2: list[str]
    items: list[str]
    faq: list[tuple[str, str]]
    table: list[tuple[str, str, str]]


TOPICS: list[Topic] = [
    {
        "slug": "stod-till-valdsutsatta",
        "title": "Stöd till dig som är utsatt för våld",
        "lead": "Ingen ska behöva leva med våld. Här får du veta vart du kan vända dig för att få skydd och stöd.",
        "paras": [
            "Våld kan vara fysiskt, psykiskt, sexuellt eller ekonomiskt. Det kan också handla om att någon kontrollerar vem du träffar eller hur du använder dina pengar.",
            "Socialtjänsten i din kommun har ansvar för att ge dig stöd. Du kan få samtalsstöd, hjälp med boende och stöd i kontakten med andra myndigheter.",
        ],
        "h2": "Om du behöver hjälp direkt",
        "paras2": ["Ring 112 om du är i akut fara. Kvinnofridslinjen svarar dygnet runt på 020-50 50 50 och du behöver inte säga vem du är."],
        "items": ["Samtal med en kurator eller socialsekreterare", "Hjälp att hitta ett tryggt boende", "Stöd vid polisanmälan och rättegång"],
        "faq": [("Kostar det något att få stöd?", "Stödet från socialtjänsten är kostnadsfritt och du kan vara anonym under de första samtalen."),
                ("Måste jag polisanmäla?", "Nej, du får stöd även om du inte vill göra en polisanmälan.")],
        "table": [("Kvinnofridslinjen", "020-50 50 50", "Dygnet runt"), ("Brottsofferjouren", "116 006", "Vardagar 9–20"),
                  ("Socialjouren", "0123-123 45", "Kvällar och helger")],
    },
    {
        "slug": "hedersrelaterat-vald-skolan",
        "title": "Hedersrelaterat våld och förtryck i skolan",
        "lead": "Skolpersonal möter ofta elever som lever med begränsningar av sina val. Länsstyrelsen har tagit fram ett stöd för skolans arbete.",
        "paras": [
            "Elever som lever med hedersnormer kan hindras från att delta i idrott, skolresor eller sex- och samlevnadsundervisning.",
            "Skolan har en skyldighet att anmäla oro till socialtjänsten när ett barn kan behöva skydd. Anmälan ska göras direkt och får inte vänta på mer information.",
        ],
        "h2": "Så kan skolan arbeta",
        "paras2": ["Ta fram rutiner för hur personalen ska agera när en elev berättar om kontroll eller hot. Utse en kontaktperson på varje skola."],
        "items": ["Kartlägg elevernas situation i elevhälsan", "Samverka med socialtjänsten", "Planera inför sommarlovet"],
        "faq": [("Vad gör jag om en elev inte kommer tillbaka efter lovet?", "Kontakta socialtjänsten och polisen omedelbart om det finns risk för bortförande."),
                ("Får skolan kontakta föräldrarna?", "Rådgör först med socialtjänsten eftersom en kontakt med familjen kan öka risken för eleven.")],
        "table": [("Förskoleklass", "Samtal om kroppen", "Vårterminen"), ("Årskurs 7–9", "Tema om rättigheter", "Höstterminen"),
                  ("Gymnasiet", "Workshop om relationer", "Hela läsåret")],
    },
    {
        "slug": "skyddat-boende-placering",
        "title": "Placering i skyddat boende",
        "lead": "Sedan 2025 är skyddat boende en egen insats enligt socialtjänstlagen. Här beskriver vi hur en placering går till.",
        "paras": [
            "Beslut om skyddat boende fattas av socialnämnden efter en utredning av den våldsutsattas behov av skydd.",
            "Ett barn som följer med sin förälder till det skyddade boendet har rätt till eget beslut och egen uppföljning.",
        ],
        "h2": "Krav på verksamheten",
        "paras2": ["Verksamheten ska ha tillstånd från Inspektionen för vård och omsorg. Personalen ska ha kunskap om våld och om barns behov."],
        "items": ["Individuell plan för varje placering", "Uppföljning minst var tredje månad", "Dokumenterad säkerhetsbedömning"],
        "faq": [("Hur länge får en placering pågå?", "Placeringen pågår så länge behovet av skydd finns och ska omprövas regelbundet."),
                ("Vem betalar placeringen?", "Placerande kommun betalar kostnaden för boendet och för stödet till barnen.")],
        "table": [("Tillstånd", "IVO", "Före start"), ("Uppföljning", "Socialnämnden", "Var tredje månad"), ("Tillsyn", "IVO", "Löpande")],
    },
    {
        "slug": "barnfridsbrott",
        "title": "Barnfridsbrottet – när barn bevittnar våld",
        "lead": "Sedan den 1 juli 2021 är det straffbart att låta ett barn bevittna våld mellan närstående.",
        "paras": [
            "Barnfridsbrott innebär att ett barn ser eller hör brottsliga gärningar mot en närstående person. Barnet räknas då som brottsoffer och kan få brottsskadeersättning.",
            "Polisen ska utse en särskild företrädare för barnet när en vårdnadshavare är misstänkt. Företrädaren tar tillvara barnets rätt under förundersökningen.",
        ],
        "h2": "Vad betyder det för förskolan?",
        "paras2": ["Personalen är skyldig att genast anmäla till socialtjänsten om de får kännedom om att ett barn bevittnat våld i hemmet."],
        "items": ["Lyssna på barnet utan att ställa ledande frågor", "Dokumentera vad barnet sagt", "Anmäl samma dag"],
        "faq": [("Behöver barnet vittna i domstol?", "Barnets berättelse tas oftast upp på video i ett barnahus och spelas upp i rätten."),
                ("Kan barnet få ersättning?", "Ja, barnet kan få brottsskadeersättning från Brottsoffermyndigheten.")],
        "table": [("2021", "1 032", "anmälda barnfridsbrott"), ("2022", "3 918", "anmälda barnfridsbrott"), ("2023", "4 650", "anmälda barnfridsbrott")],
    },
    {
        "slug": "natvald-unga",
        "title": "Unga som utsätts för digitalt våld",
        "lead": "Var tredje ung kvinna har utsatts för kränkningar på nätet under det senaste året, visar en ny undersökning.",
        "paras": [
            "Det digitala våldet består ofta av hot, spridning av bilder och kontroll via mobilen. Många unga berättar inte för någon vuxen om vad som hänt.",
            "Att sprida en bild av någon i en sexuell situation är ett brott. Den som utsatts kan polisanmäla och begära att bilden tas bort från plattformen.",
        ],
        "h2": "Råd till föräldrar",
        "paras2": ["Prata med ditt barn om vad det gör på nätet innan något har hänt. Visa att du går att prata med även när barnet gjort något dumt."],
        "items": ["Spara skärmdumpar som bevis", "Blockera och anmäl kontot", "Kontakta polisen vid hot"],
        "faq": [("Kan man få bort en bild från nätet?", "Plattformarna är skyldiga att ta bort olagligt innehåll när de får en anmälan."),
                ("Är det brott att ta en bild i smyg?", "Kränkande fotografering är ett brott sedan 2020.")],
        "table": [("16–19 år", "34 procent", "utsatta senaste året"), ("20–24 år", "28 procent", "utsatta senaste året"),
                  ("25–29 år", "19 procent", "utsatta senaste året")],
    },
    {
        "slug": "valdsutovare-behandling",
        "title": "Behandling för dig som utövar våld",
        "lead": "Du som har använt våld mot en partner kan få hjälp att sluta. Kommunen erbjuder samtal i grupp och enskilt.",
        "paras": [
            "Behandlingen bygger på att du tar ansvar för ditt beteende och lär dig känna igen de situationer där du brukar bli våldsam.",
            "Samtalen är frivilliga och omfattas av sekretess. Om det finns barn i familjen gör vi alltid en bedömning av barnens situation.",
        ],
        "h2": "Så går det till",
        "paras2": ["Efter ett första samtal gör vi en riskbedömning tillsammans med dig. Därefter erbjuds du att delta i en behandlingsgrupp under tjugo veckor."],
        "items": ["Första samtal inom en vecka", "Riskbedömning med strukturerat stöd", "Gruppbehandling tjugo veckor"],
        "faq": [("Får min partner veta att jag går i behandling?", "Vi kontaktar din partner för att kunna erbjuda stöd, men berättar inte vad du säger i samtalen."),
                ("Kan jag vara anonym?", "Du kan ringa anonymt för rådgivning innan du bestämmer dig.")],
        "table": [("Rådgivning", "Anonymt", "Telefon"), ("Individuella samtal", "Med namn", "Mottagningen"), ("Gruppbehandling", "Med namn", "Kvällstid")],
    },
    {
        "slug": "manniskohandel-stodprogram",
        "title": "Nationellt stödprogram för utsatta för människohandel",
        "lead": "Den som kan ha utsatts för människohandel kan få boende, vård och juridisk rådgivning genom ett nationellt stödprogram.",
        "paras": [
            "Programmet vänder sig till vuxna som har utsatts för människohandel eller exploatering i Sverige. Det spelar ingen roll om personen har uppehållstillstånd.",
            "Regionkoordinatorerna hjälper socialtjänsten och andra myndigheter att identifiera utsatta och ordna stöd under en återhämtningsperiod.",
        ],
        "h2": "Återhämtningsperiod",
        "paras2": ["Under trettio dagar får den utsatta tid att återhämta sig och fundera på om hon vill medverka i en rättsprocess."],
        "items": ["Tryggt boende i hela landet", "Medicinsk och psykologisk vård", "Juridisk rådgivning och tolk"],
        "faq": [("Vem kan ansöka?", "En myndighet eller en organisation ansöker tillsammans med den utsatta."),
                ("Gäller programmet barn?", "Barn får stöd av socialtjänsten enligt socialtjänstlagen och ingår inte i programmet.")],
        "table": [("Norra regionen", "Umeå", "070-111 22 33"), ("Mellersta regionen", "Stockholm", "070-222 33 44"), ("Södra regionen", "Malmö", "070-333 44 55")],
    },
    {
        "slug": "sexuellt-vald-akutmottagning",
        "title": "Akut omhändertagande efter sexuellt övergrepp",
        "lead": "Efter ett sexuellt övergrepp kan du få vård och spårsäkring på sjukhusets akutmottagning, även om du inte vill anmäla.",
        "paras": [
            "Kom till mottagningen så snart som möjligt, helst inom tio dygn. Undvik om du kan att duscha eller byta kläder innan du kommer.",
            "Proverna sparas i två år. Du bestämmer själv om och när du vill göra en polisanmälan.",
        ],
        "h2": "Uppföljning",
        "paras2": ["Du erbjuds uppföljande samtal med kurator och provtagning för sexuellt överförbara infektioner efter några veckor."],
        "items": ["Läkarundersökning och behandling", "Akut preventivmedel", "Samtal med kurator"],
        "faq": [("Måste jag berätta allt som hänt?", "Du berättar det du orkar. Personalen ställer frågor för att kunna ge rätt vård."),
                ("Får jag ta med någon?", "Du får gärna ta med en person som du känner dig trygg med.")],
        "table": [("Akutmottagning", "Dygnet runt", "Sjukhuset"), ("Kurator", "Vardagar", "Kvinnokliniken"), ("Uppföljning", "Efter 3 veckor", "Gynmottagningen")],
    },
    {
        "slug": "forebyggande-strategi",
        "title": "Regional strategi för våldsförebyggande arbete",
        "lead": "Länets kommuner och regionen har enats om en gemensam strategi för att förebygga mäns våld mot kvinnor fram till 2030.",
        "paras": [
            "Strategin lyfter fram tidiga insatser i förskola och skola, arbete med normer om maskulinitet och stöd till föräldrar.",
            "Varje kommun ska ta fram en lokal handlingsplan och rapportera sitt arbete till länsstyrelsen en gång om året.",
        ],
        "h2": "Uppföljning av strategin",
        "paras2": ["En gemensam uppsättning indikatorer används för att följa utvecklingen i länet. Resultaten redovisas i en årlig lägesbild."],
        "items": ["Kunskapshöjande insatser för personal", "Program för unga i skolan", "Samverkan med civilsamhället"],
        "faq": [("Vem ansvarar för strategin?", "Länsstyrelsen samordnar arbetet och kommunerna ansvarar för genomförandet."),
                ("Finns det pengar att söka?", "Kommunerna kan söka utvecklingsmedel två gånger per år.")],
        "table": [("Mål 1", "Tidiga insatser", "2026"), ("Mål 2", "Kompetens hos personal", "2028"), ("Mål 3", "Minskad utsatthet", "2030")],
    },
    {
        "slug": "aldre-valdsutsatta",
        "title": "Äldre som utsätts för våld",
        "lead": "Våld mot äldre är ofta dolt. Hemtjänstens personal kan vara de enda som märker att något är fel.",
        "paras": [
            "Äldre kvinnor utsätts för våld av en partner, men också av vuxna barn eller andra närstående. Våldet kan pågå i många år.",
            "Personalen inom äldreomsorgen ska känna till kommunens rutin och veta hur de ska föra sin oro vidare till sin chef.",
        ],
        "h2": "Tecken att vara uppmärksam på",
        "paras2": ["Blåmärken som inte kan förklaras, rädsla för en anhörig eller att någon annan alltid svarar åt den äldre kan vara tecken på våld."],
        "items": ["Fråga när ni är ensamma", "Erbjud kontakt med biståndshandläggare", "Dokumentera det du ser"],
        "faq": [("Kan en äldre person få skyddat boende?", "Ja, och boendet ska då vara anpassat för personens behov av omsorg."),
                ("Vad gör jag om personen inte vill ha hjälp?", "Respektera beslutet men fortsätt att erbjuda stöd och informera om var hjälp finns.")],
        "table": [("65–74 år", "7 procent", "utsatta senaste året"), ("75–84 år", "5 procent", "utsatta senaste året"), ("85 år och äldre", "4 procent", "utsatta senaste året")],
    },
    {
        "slug": "kvinnojour-bidrag",
        "title": "Statsbidrag till kvinnojourer 2026",
        "lead": "Ideella organisationer som stöder våldsutsatta kan söka statsbidrag för sin verksamhet. Ansökan ska vara inne senast den 1 mars.",
        "paras": [
            "Bidraget kan användas till löner, lokaler och utbildning av volontärer. Organisationen ska ha bedrivit verksamhet i minst ett år.",
            "Beslut meddelas i maj och pengarna betalas ut i juni. Den som får bidrag ska redovisa hur pengarna har använts.",
        ],
        "h2": "Så ansöker ni",
        "paras2": ["Ansökan görs i e-tjänsten och ska undertecknas av organisationens firmatecknare. Bifoga verksamhetsberättelse och budget."],
        "items": ["Verksamhetsberättelse för förra året", "Budget för bidragsåret", "Stadgar och protokoll"],
        "faq": [("Kan en lokal jour söka?", "Ja, både lokala och nationella organisationer kan söka bidraget."),
                ("När kommer beslutet?", "Beslut fattas i maj och skickas via e-post.")],
        "table": [("Ansökan öppnar", "1 januari", ""), ("Sista dag", "1 mars", ""), ("Beslut", "Maj", "")],
    },
    {
        "slug": "samtycke-unga",
        "title": "Samtycke – material för samtal med unga",
        "lead": "Materialet hjälper lärare och fritidsledare att prata med unga om gränser, samtycke och sexuella trakasserier.",
        "paras": [
            "Övningarna är framtagna tillsammans med elever på tre gymnasieskolor och kan användas i grupper om tio till trettio personer.",
            "Varje övning tar omkring fyrtio minuter och avslutas med en reflektion där deltagarna själva formulerar vad de tar med sig.",
        ],
        "h2": "Innan du börjar",
        "paras2": ["Läs handledningen och förbered dig på att någon i gruppen kan ha egna erfarenheter av övergrepp. Ha kontaktuppgifter till elevhälsan redo."],
        "items": ["Handledning för ledare", "Sex övningar med filmklipp", "Utvärderingsenkät för deltagare"],
        "faq": [("Vilken ålder är materialet för?", "Materialet är anpassat för unga mellan 15 och 19 år."),
                ("Kostar materialet något?", "Nej, det är fritt att ladda ner och använda.")],
        "table": [("Övning 1", "Var går gränsen?", "40 minuter"), ("Övning 2", "Ja betyder ja", "40 minuter"), ("Övning 3", "Kränkningar i skolan", "45 minuter")],
    },
]
