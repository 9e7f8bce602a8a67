<qgis version="3.22.16" styleCategories="Symbology|Labeling|MapTips|Temporal">
  <!-- rsoi allocations: one point per place x period; colour by the nation providing most units, size by units; temporal by period -->
  <renderer-v2 type="categorizedSymbol" attr="lead_nation" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
<categories>
<category value="US" symbol="0" label="US most · size = support units at the place in the period (6 mm = ${alloc_max_units} units)" render="true"/>
<category value="ROK" symbol="1" label="ROK most · size = support units at the place in the period (6 mm = ${alloc_max_units} units)" render="true"/>
</categories>
<symbols>
<symbol type="marker" name="0" alpha="0.6" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="circle"/>
<Option type="QString" name="color" value="${nation_US}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="2.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="size">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='2 + 4 * sqrt(coalesce("units_allocated", 0) / nullif(maximum("units_allocated"), 0))'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="marker" name="1" alpha="0.6" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="circle"/>
<Option type="QString" name="color" value="${nation_ROK}"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_style" value="solid"/>
<Option type="QString" name="outline_width" value="0.3"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="2.2"/>
<Option type="QString" name="size_unit" value="MM"/>
<Option type="QString" name="scale_method" value="diameter"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="size">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='2 + 4 * sqrt(coalesce("units_allocated", 0) / nullif(maximum("units_allocated"), 0))'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
</symbols>
</renderer-v2>
  
  <temporal enabled="1" mode="1" startField="period_start" endField="" accumulate="0" durationField="" durationUnit="s" endExpression="" fixedDuration="${shown_seconds}" startExpression="" limitMode="0">
<fixedRange>
<start>
</start>
<end>
</end>
</fixedRange>
</temporal>
  <blendMode>0</blendMode>
<featureBlendMode>0</featureBlendMode>
<layerOpacity>1</layerOpacity>
  <mapTip>&lt;b&gt;[% "name" %]&lt;/b&gt; ([% "place" %]) period [% "period" %], serving [% "theater" %]&lt;br&gt;units allocated: [% format_number("units_allocated", 2) %]&lt;br&gt;[% replace("breakdown", '; ', '&lt;br&gt;') %]</mapTip>
  <previewExpression>"name" || ' (' || "place" || '), period ' || "period" || ', serving ' || "theater"</previewExpression>
</qgis>
