<qgis version="3.22.16" styleCategories="Symbology|Labeling|MapTips">
  <!-- rsoi places: symbol by kind; labels on places with flows or allocations (field labelled), never overlapping: a label that would collide moves round its point or is left out, key places (anchors, busiest, short) first -->
  <renderer-v2 type="categorizedSymbol" attr="kind" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
<categories>
<category value="seaport" symbol="0" label="seaport" render="true"/>
<category value="naval_base" symbol="1" label="naval base" render="true"/>
<category value="airbase" symbol="2" label="airbase" render="true"/>
<category value="army_base" symbol="3" label="army base" render="true"/>
<category value="depot" symbol="4" label="depot" render="true"/>
<category value="maintenance_facility" symbol="5" label="maintenance facility" render="true"/>
<category value="staging_area" symbol="6" label="staging area" render="true"/>
<category value="theater_destination" symbol="7" label="theater destination" render="true"/>
<category value="sea_area" symbol="8" label="sea area" render="true"/>
</categories>
<symbols>
<symbol type="marker" name="0" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_seaport}"/>
<Option type="QString" name="color" value="${kind_seaport}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="1" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_naval_base}"/>
<Option type="QString" name="color" value="${kind_naval_base}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="2" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_airbase}"/>
<Option type="QString" name="color" value="${kind_airbase}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="3" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_army_base}"/>
<Option type="QString" name="color" value="${kind_army_base}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="4" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_depot}"/>
<Option type="QString" name="color" value="${kind_depot}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="5" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_maintenance_facility}"/>
<Option type="QString" name="color" value="${kind_maintenance_facility}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="6" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_staging_area}"/>
<Option type="QString" name="color" value="${kind_staging_area}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="7" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_theater_destination}"/>
<Option type="QString" name="color" value="${kind_theater_destination}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="8" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="${shape_sea_area}"/>
<Option type="QString" name="color" value="${kind_sea_area}"/>
<Option type="QString" name="outline_color" value="${kind_sea_area}"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="3.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
</symbols>
</renderer-v2>
  <labeling type="simple">
<settings calloutType="simple">
<text-style fieldName='"name"' isExpression="1" fontFamily="Sans Serif" fontSize="8" fontSizeUnit="Point" textColor="30,30,30,255" textOpacity="1" fontWeight="50" fontItalic="0" namedStyle="Regular" multilineHeight="1" allowHtml="0" capitalization="0" blendMode="0" fontKerning="1" textOrientation="horizontal" useSubstitutions="0" previewBkgrdColor="255,255,255,255">
<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0"/>
</text-style>
<text-format wrapChar="" multilineAlign="0" autoWrapLength="0" useMaxLineLengthForAutoWrap="1" plussign="0" reverseDirectionSymbol="0" leftDirectionSymbol="&lt;" rightDirectionSymbol="&gt;" placeDirectionSymbol="0" formatNumbers="0" decimals="3" addDirectionSymbol="0"/>
<placement placement="6" dist="1.2" distUnits="MM" priority="5" quadOffset="4" predefinedPositionOrder="TR,TL,BR,BL,R,L,TSR,BSR" offsetType="0" xOffset="0" yOffset="0" offsetUnits="MM" rotationAngle="0" centroidWhole="0" centroidInside="0" fitInPolygonOnly="0" placementFlags="10" repeatDistance="0" maxCurvedCharAngleIn="25" maxCurvedCharAngleOut="-25" overrunDistance="0" layerType="PointGeometry" geometryGenerator="" geometryGeneratorEnabled="0" geometryGeneratorType="PointGeometry" lineAnchorPercent="0.5" lineAnchorType="0" lineAnchorClipping="0" polygonPlacementFlags="2" preserveRotation="1" dist_units="MM"/>
<rendering obstacle="1" obstacleFactor="1" obstacleType="1" drawLabels="1" displayAll="0" upsidedownLabels="0" limitNumLabels="0" maxNumLabels="2000" minFeatureSize="0" mergeLines="0" scaleVisibility="0" scaleMin="0" scaleMax="0" labelPerPart="0" fontLimitPixelSize="0" fontMinPixelSize="3" fontMaxPixelSize="10000" zIndex="0" unplacedVisibility="0"/>
<dd_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="Show">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='"labelled"'/>
<Option type="int" name="type" value="3"/>
</Option>
<Option type="Map" name="Priority">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='if("key", 10, 5)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</dd_properties>
</settings>
</labeling>
  
  <blendMode>0</blendMode>
<featureBlendMode>0</featureBlendMode>
<layerOpacity>1</layerOpacity>
  <mapTip>&lt;b&gt;[% "name" %]&lt;/b&gt;&lt;br&gt;kind: [% "kind" %]&lt;br&gt;country: [% "country" %]&lt;br&gt;throughput_t: [% "throughput_t" %]&lt;br&gt;utilisation: [% "utilisation" %]&lt;br&gt;mog_utilisation: [% "mog_utilisation" %]&lt;br&gt;shortfall_text: [% "shortfall_text" %]</mapTip>
  <previewExpression>"name" || ' (' || "id" || ')'</previewExpression>
</qgis>
