"""The demo's raw material: Argentine names, neighbourhoods with real coordinates, and what each
oficio charges and shows in a portfolio. Plain data; `plan.py` draws people from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Barrio:
    nombre: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class City:
    nombre: str
    barrios: tuple[Barrio, ...]


BUENOS_AIRES = City(
    "Buenos Aires",
    (
        Barrio("Palermo", -34.5889, -58.4306),
        Barrio("Belgrano", -34.5627, -58.4583),
        Barrio("Recoleta", -34.5875, -58.3974),
        Barrio("Caballito", -34.6186, -58.4420),
        Barrio("Almagro", -34.6095, -58.4210),
        Barrio("Villa Crespo", -34.5990, -58.4380),
        Barrio("Flores", -34.6280, -58.4640),
        Barrio("San Telmo", -34.6212, -58.3731),
        Barrio("Boedo", -34.6300, -58.4180),
        Barrio("Villa Urquiza", -34.5731, -58.4870),
        Barrio("Núñez", -34.5446, -58.4626),
        Barrio("Colegiales", -34.5737, -58.4488),
        Barrio("Villa Devoto", -34.6013, -58.5130),
        Barrio("Mataderos", -34.6558, -58.5050),
        Barrio("Barracas", -34.6452, -58.3830),
        Barrio("Balvanera", -34.6090, -58.4050),
        Barrio("Saavedra", -34.5540, -58.4870),
        Barrio("Vicente López", -34.5265, -58.4788),
        Barrio("Olivos", -34.5087, -58.4897),
        Barrio("San Isidro", -34.4708, -58.5286),
        Barrio("Avellaneda", -34.6627, -58.3652),
        Barrio("Lanús", -34.7003, -58.3915),
        Barrio("Quilmes", -34.7206, -58.2546),
        Barrio("Lomas de Zamora", -34.7607, -58.4011),
        Barrio("Morón", -34.6534, -58.6198),
        Barrio("Ramos Mejía", -34.6410, -58.5650),
    ),
)
CORDOBA = City(
    "Córdoba",
    (
        Barrio("Centro", -31.4167, -64.1833),
        Barrio("Nueva Córdoba", -31.4250, -64.1870),
        Barrio("Güemes", -31.4255, -64.1947),
        Barrio("Alta Córdoba", -31.3930, -64.1800),
        Barrio("General Paz", -31.4080, -64.1650),
        Barrio("Cerro de las Rosas", -31.3680, -64.2370),
        Barrio("Alberdi", -31.4080, -64.2080),
        Barrio("Jardín", -31.4450, -64.1800),
        Barrio("San Vicente", -31.4230, -64.1540),
    ),
)
ROSARIO = City(
    "Rosario",
    (
        Barrio("Centro", -32.9468, -60.6393),
        Barrio("Pichincha", -32.9380, -60.6540),
        Barrio("Echesortu", -32.9460, -60.6700),
        Barrio("Fisherton", -32.9300, -60.7250),
        Barrio("Alberdi", -32.9050, -60.6870),
        Barrio("Arroyito", -32.9170, -60.6750),
        Barrio("República de la Sexta", -32.9590, -60.6380),
        Barrio("Abasto", -32.9560, -60.6500),
        Barrio("Lourdes", -32.9500, -60.6600),
    ),
)
CITIES = (BUENOS_AIRES, CORDOBA, ROSARIO)
# One city per professional, repeating: 70 % Buenos Aires, 15 % each Córdoba and Rosario, mixed
# early so that a handful of professionals already covers the three cities.
CITY_CYCLE = tuple(CITIES[i] for i in (0, 1, 2, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 2, 0))

NOMBRES = (
    "Martín", "Juan", "Diego", "Sebastián", "Pablo", "Nicolás", "Matías", "Federico", "Alejandro",
    "Gustavo", "Leandro", "Hernán", "Ezequiel", "Facundo", "Gonzalo", "Lucas", "Damián", "Ramiro",
    "Marcelo", "Claudio", "Walter", "Sergio", "Cristian", "Fernando", "Jorge", "Ricardo", "Germán",
    "Lucía", "María", "Sofía", "Valeria", "Carolina", "Florencia", "Camila", "Paula", "Mariana",
    "Gabriela", "Romina", "Natalia", "Julieta", "Agustina", "Silvina", "Laura", "Verónica", "Andrea",
    "Daniela", "Lorena", "Soledad", "Micaela", "Belén", "Vanesa", "Analía", "Cecilia",
)  # fmt: skip
APELLIDOS = (
    "González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez", "García",
    "Sánchez", "Romero", "Sosa", "Torres", "Álvarez", "Ruiz", "Ramírez", "Flores", "Acosta",
    "Benítez", "Medina", "Suárez", "Herrera", "Aguirre", "Pereyra", "Gutiérrez", "Giménez", "Molina",
    "Silva", "Castro", "Rojas", "Ortiz", "Núñez", "Luna", "Juárez", "Cabrera", "Ríos", "Ferreyra",
    "Godoy", "Morales", "Domínguez", "Moreno", "Peralta", "Vega", "Carrizo", "Quiroga", "Ledesma",
    "Ojeda", "Ponce", "Villalba", "Cardozo", "Navarro", "Figueroa", "Correa", "Maldonado", "Lucero",
    "Bianchi", "Romano", "Rossi", "Russo", "Ferrari", "Costa", "Colombo", "Fontana", "Bruno",
)  # fmt: skip


@dataclass(frozen=True)
class OficioDemo:
    """How the demo shows one oficio of the shipped catalogue (matched by name)."""

    nombre: str
    weight: int  # how common it is among the demo professionals
    tarifa: tuple[int, int]  # hourly rate range in ARS
    portfolio: tuple[tuple[str, str], ...]  # (titulo, descripcion with {barrio})
    also: str | None = None  # an oficio often offered together with this one


OFICIOS = (
    OficioDemo(
        "Plomero", 10, (18000, 32000),
        (
            ("Cambio de cañerías de baño", "Cañerías nuevas de agua fría y caliente en {barrio}, con termofusión."),
            ("Destapación de cocina", "Destapación con máquina de la pileta de cocina en {barrio}."),
            ("Instalación de termotanque", "Colocación de termotanque de 80 litros con válvula de seguridad nueva."),
        ),
        also="Gasista matriculado",
    ),
    OficioDemo(
        "Electricista", 10, (18000, 30000),
        (
            ("Tablero nuevo con disyuntor", "Tablero seccional con térmicas y disyuntor en un PH de {barrio}."),
            ("Recableado de departamento", "Recableado completo de un dos ambientes en {barrio}, con puesta a tierra."),
            ("Iluminación LED de living", "Instalación de spots LED embutidos y dimmer en el living."),
        ),
        also="Instalador de alarmas y cámaras",
    ),
    OficioDemo(
        "Gasista matriculado", 6, (22000, 38000),
        (
            ("Conexión de cocina", "Conexión de cocina a gas natural con prueba de hermeticidad en {barrio}."),
            ("Instalación de calefactor", "Colocación de calefactor tiro balanceado de 5000 kcal."),
            ("Plano y habilitación de gas", "Relevamiento, plano y trámite de habilitación ante la distribuidora."),
        ),
    ),
    OficioDemo(
        "Pintor", 8, (15000, 26000),
        (
            ("Pintura de departamento", "Tres ambientes en {barrio}: enduido, lijado y dos manos de látex."),
            ("Frente de casa", "Hidrolavado, fijador y pintura de frente con látex para exteriores."),
            ("Rejas y portón", "Lijado, antióxido y esmalte sintético en rejas y portón de entrada."),
        ),
        also="Albañil",
    ),
    OficioDemo(
        "Albañil", 7, (16000, 28000),
        (
            ("Reforma de baño", "Demolición, contrapiso, revestimiento y colocación de sanitarios en {barrio}."),
            ("Contrapiso y carpeta", "Contrapiso y carpeta niveladora para 40 m² de piso nuevo."),
            ("Pared de ladrillo hueco", "Levantamiento de tabique divisorio con revoque grueso y fino."),
        ),
        also="Pintor",
    ),
    OficioDemo(
        "Cerrajero", 5, (20000, 35000),
        (
            ("Cambio de cerradura de seguridad", "Cerradura doble paleta por una de alta seguridad en {barrio}."),
            ("Apertura de puerta blindada", "Apertura sin daños de puerta blindada y cambio de combinación."),
            ("Cerradura de portón", "Colocación de cerradura eléctrica en portón de edificio."),
        ),
    ),
    OficioDemo(
        "Carpintero", 6, (18000, 30000),
        (
            ("Placard a medida", "Placard de melamina blanca con puertas corredizas para un dormitorio en {barrio}."),
            ("Mesa de roble", "Mesa de comedor de roble macizo para seis personas, lustrada."),
            ("Restauración de puertas", "Restauración y lustre de puertas antiguas de una casa chorizo."),
        ),
    ),
    OficioDemo(
        "Herrero", 4, (18000, 30000),
        (
            ("Reja de balcón", "Reja de hierro a medida para balcón en {barrio}, con antióxido y esmalte."),
            ("Portón corredizo", "Portón corredizo de chapa con estructura de caño estructural."),
            ("Escalera caracol", "Escalera caracol metálica con escalones de madera."),
        ),
        also="Soldador",
    ),
    OficioDemo(
        "Techista", 3, (20000, 34000),
        (
            ("Membrana en terraza", "Colocación de membrana asfáltica con aluminio en terraza de {barrio}."),
            ("Reparación de tejas", "Reemplazo de tejas rotas y sellado de cumbreras."),
            ("Techo de chapa", "Techo nuevo de chapa con aislación térmica para un quincho."),
        ),
        also="Impermeabilizador",
    ),
    OficioDemo(
        "Técnico en aire acondicionado", 5, (22000, 36000),
        (
            ("Instalación de split", "Instalación de split frío/calor de 3000 frigorías en {barrio}, con soporte."),
            ("Carga de gas", "Detección de pérdida, soldadura y carga de gas R410A."),
            ("Mantenimiento de equipos", "Limpieza completa de tres equipos split en una oficina."),
        ),
    ),
    OficioDemo(
        "Técnico en heladeras", 2, (18000, 30000),
        (
            ("Cambio de motor", "Cambio de motocompresor de heladera no frost y carga de gas."),
            ("Reparación de freezer", "Reparación de freezer comercial de un almacén en {barrio}."),
            ("Burletes nuevos", "Reemplazo de burletes de heladera con freezer."),
        ),
        also="Técnico en lavarropas",
    ),
    OficioDemo(
        "Jardinero", 5, (12000, 22000),
        (
            ("Mantenimiento de jardín", "Corte de césped, bordes y poda de arbustos en una casa de {barrio}."),
            ("Poda de árboles", "Poda en altura de dos fresnos con retiro de ramas."),
            ("Huerta en el patio", "Armado de canteros y huerta en un patio de 20 m²."),
        ),
        also="Parquizador",
    ),
    OficioDemo(
        "Limpieza de hogar", 5, (10000, 18000),
        (
            ("Limpieza final de obra", "Limpieza a fondo de un departamento en {barrio} después de una reforma."),
            ("Limpieza de oficina", "Limpieza semanal de una oficina de 80 m²."),
            ("Limpieza de vidrios", "Limpieza de ventanales y vidrios de un piso alto."),
        ),
    ),
    OficioDemo(
        "Durlockero", 3, (17000, 28000),
        (
            ("Cielorraso de durlock", "Cielorraso suspendido con placa de yeso y buñas perimetrales en {barrio}."),
            ("Tabique divisorio", "Tabique de placa de yeso con aislación acústica para un home office."),
            ("Mueble de TV en seco", "Mueble de TV con estantes y luces LED en construcción en seco."),
        ),
        also="Yesero",
    ),
    OficioDemo(
        "Colocador de pisos", 3, (17000, 28000),
        (
            ("Porcelanato en living", "Colocación de porcelanato de 60x60 en un living de {barrio}."),
            ("Piso flotante", "Piso flotante de 8 mm en dos dormitorios, con zócalos."),
            ("Vinílico en cocina", "Piso vinílico en cocina sobre el cerámico existente."),
        ),
        also="Pulidor de pisos",
    ),
    OficioDemo(
        "Mudanzas y fletes", 3, (15000, 25000),
        (
            ("Mudanza de departamento", "Mudanza de un dos ambientes desde {barrio}, con embalaje."),
            ("Flete de muebles", "Traslado de un sofá y una heladera dentro de la ciudad."),
            ("Mudanza de oficina", "Traslado de escritorios y archivos de una oficina chica."),
        ),
    ),
    OficioDemo(
        "Técnico en computación", 4, (15000, 26000),
        (
            ("Red wifi en casa", "Instalación de red mesh para una casa de dos plantas en {barrio}."),
            ("Armado de PC", "Armado y configuración de una PC para diseño."),
            ("Recuperación de datos", "Recuperación de fotos de un disco dañado."),
        ),
        also="Técnico en celulares",
    ),
    OficioDemo(
        "Instalador de alarmas y cámaras", 2, (20000, 32000),
        (
            ("Cámaras en un comercio", "Cuatro cámaras IP con grabador y acceso desde el celular en {barrio}."),
            ("Alarma domiciliaria", "Alarma monitoreada con sensores en puertas y ventanas."),
            ("Portero eléctrico", "Cambio de portero eléctrico en un edificio de ocho unidades."),
        ),
    ),
    OficioDemo(
        "Fumigador", 2, (15000, 25000),
        (
            ("Control de cucarachas", "Fumigación con gel y pulverización en un restaurante de {barrio}."),
            ("Desratización", "Colocación de cebaderos y control mensual en un depósito."),
            ("Tratamiento de termitas", "Tratamiento de termitas en aberturas de madera."),
        ),
    ),
    OficioDemo(
        "Piletero", 2, (14000, 24000),
        (
            ("Puesta a punto de pileta", "Aspirado, cloración y arreglo de bomba en una pileta de {barrio}."),
            ("Cambio de filtro", "Reemplazo de filtro y arena de una pileta de 30 m³."),
            ("Pintura de pileta", "Pintura de pileta con caucho clorado."),
        ),
        also="Limpieza de tanques",
    ),
    OficioDemo(
        "Profesor particular", 3, (10000, 20000),
        (
            ("Apoyo en matemática", "Clases de apoyo de matemática para secundario en {barrio}."),
            ("Ingreso a la universidad", "Preparación para el ingreso: física y química."),
            ("Inglés para adultos", "Clases de conversación en inglés para adultos."),
        ),
    ),
    OficioDemo(
        "Paseador de perros", 2, (8000, 14000),
        (
            ("Paseos grupales", "Paseos de una hora por los parques de {barrio}, en grupos chicos."),
            ("Cuidado en vacaciones", "Cuidado de mascotas a domicilio durante las vacaciones."),
            ("Adiestramiento básico", "Adiestramiento básico de obediencia para cachorros."),
        ),
    ),
    OficioDemo(
        "Fotógrafo", 2, (20000, 40000),
        (
            ("Cumpleaños de 15", "Cobertura fotográfica de un cumpleaños de 15 en {barrio}."),
            ("Fotos de producto", "Fotografía de producto para una tienda online."),
            ("Retratos en exteriores", "Sesión de retratos al aire libre al atardecer."),
        ),
    ),
)  # fmt: skip

# A CBU starts with the bank's BCRA code; a CVU with its payment provider's (Mercado Pago: 0000003).
BANKS = ("011", "007", "072", "017", "285", "014", "191", "150", "034", "044")
MERCADO_PAGO_CVU_PREFIX = "0000003"
COVERAGE_KM = (5, 8, 10, 10, 12, 15, 15, 20, 25)
