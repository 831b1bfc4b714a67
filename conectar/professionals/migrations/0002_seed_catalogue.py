"""A realistic Argentine catalogue of oficios and instant services. Idempotent by name: staff may
edit descriptions or add more afterwards; re-running never duplicates."""

from django.db import migrations

OFICIOS = {
    "Plomero": ("Instalación y reparación de cañerías, pérdidas, destapaciones y sanitarios.", [
        ("Destapación de cañería", "Destapación de pileta, inodoro o desagüe.", "25000.00"),
        ("Cambio de flexible o canilla", "Reemplazo de flexible, canilla o monocomando.", "18000.00"),
    ]),
    "Electricista": ("Instalaciones eléctricas domiciliarias, tableros, tomas y luminarias.", [
        ("Cambio de térmica o disyuntor", "Reemplazo de una llave térmica o diferencial.", "22000.00"),
        ("Instalación de luminaria", "Colocación de una lámpara, plafón o aplique.", "15000.00"),
    ]),
    "Gasista matriculado": ("Instalaciones de gas, artefactos y pruebas de hermeticidad (matrícula).", [
        ("Conexión de cocina o anafe", "Conexión y prueba de un artefacto de gas.", "35000.00"),
    ]),
    "Cerrajero": ("Apertura de puertas, cambio de cerraduras y combinaciones.", [
        ("Apertura de puerta", "Apertura sin daño de puerta común.", "30000.00"),
        ("Cambio de combinación", "Cambio de combinación de cerradura de seguridad.", "28000.00"),
    ]),
    "Pintor": ("Pintura de interiores y exteriores, enduido y terminaciones.", []),
    "Albañil": ("Obra húmeda, mampostería, revoques, contrapisos y reformas.", []),
    "Carpintero": ("Muebles a medida, puertas, placares y reparaciones en madera.", []),
    "Herrero": ("Rejas, portones, estructuras metálicas y soldadura.", []),
    "Techista": ("Reparación e impermeabilización de techos y membranas.", []),
    "Técnico en aire acondicionado": ("Instalación, carga de gas y mantenimiento de equipos split.", [
        ("Limpieza de split", "Limpieza completa de unidad interior y exterior.", "30000.00"),
    ]),
    "Técnico en heladeras": ("Reparación de heladeras, freezers y equipos de frío.", []),
    "Técnico en lavarropas": ("Reparación de lavarropas, secarropas y lavavajillas.", []),
    "Jardinero": ("Corte de césped, poda, diseño y mantenimiento de jardines.", [
        ("Corte de césped", "Corte y bordeado de hasta 200 m².", "20000.00"),
    ]),
    "Parquizador": ("Diseño de espacios verdes, riego y parquización.", []),
    "Fumigador": ("Control de plagas: cucarachas, roedores, termitas y mosquitos.", []),
    "Vidriero": ("Colocación y reemplazo de vidrios, espejos y mamparas.", []),
    "Yesero": ("Cielorrasos, tabiques de placa de yeso y molduras.", []),
    "Durlockero": ("Construcción en seco: tabiques, cielorrasos y revestimientos.", []),
    "Colocador de pisos": ("Colocación de cerámicos, porcelanatos, flotantes y vinílicos.", []),
    "Pulidor de pisos": ("Pulido, plastificado e hidrolaqueado de pisos de madera.", []),
    "Tapicero": ("Retapizado de sillones, sillas y cabeceras.", []),
    "Cortinero": ("Instalación y reparación de cortinas de enrollar y roller.", []),
    "Instalador de alarmas y cámaras": ("Sistemas de seguridad, CCTV y porteros eléctricos.", []),
    "Técnico en computación": ("Reparación de PC y notebooks, redes domésticas y wifi.", []),
    "Técnico en celulares": ("Cambio de pantallas, baterías y reparación de celulares.", []),
    "Mudanzas y fletes": ("Fletes, mudanzas y traslado de muebles.", []),
    "Limpieza de hogar": ("Limpieza profunda de casas, oficinas y final de obra.", [
        ("Limpieza final de obra", "Limpieza de un ambiente después de una obra.", "40000.00"),
    ]),
    "Limpieza de tanques": ("Limpieza y desinfección de tanques de agua.", []),
    "Piletero": ("Mantenimiento y limpieza de piletas, bombas y filtros.", []),
    "Zinguero": ("Canaletas, babetas y zinguería.", []),
    "Impermeabilizador": ("Tratamiento de humedad de cimientos, muros y terrazas.", []),
    "Soldador": ("Soldadura eléctrica, MIG/TIG y reparaciones metálicas.", []),
    "Mecánico a domicilio": ("Service, batería y diagnóstico del auto a domicilio.", []),
    "Costurera": ("Arreglos de ropa, dobladillos y confección.", []),
    "Niñera": ("Cuidado de chicos por hora o jornada.", []),
    "Cuidador de adultos mayores": ("Acompañamiento y cuidado de adultos mayores.", []),
    "Paseador de perros": ("Paseos diarios y cuidado de mascotas.", []),
    "Fotógrafo": ("Fotografía de eventos, productos y retratos.", []),
    "Profesor particular": ("Clases de apoyo escolar y universitario.", []),
}


def seed(apps, schema_editor):
    Oficio = apps.get_model("professionals", "Oficio")
    ServicioInstant = apps.get_model("professionals", "ServicioInstant")
    db = schema_editor.connection.alias
    for nombre, (descripcion, servicios) in OFICIOS.items():
        oficio, _ = Oficio.objects.using(db).get_or_create(nombre=nombre, defaults={"descripcion": descripcion})
        for s_nombre, s_desc, precio in servicios:
            ServicioInstant.objects.using(db).get_or_create(
                oficio=oficio, nombre=s_nombre, defaults={"descripcion": s_desc, "precio_fijo": precio}
            )


class Migration(migrations.Migration):
    dependencies = [("professionals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
