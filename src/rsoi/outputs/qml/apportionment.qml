<qgis version="3.22.16" styleCategories="Symbology|Labeling|MapTips|Temporal">
  <!-- rsoi apportionment: home to theater anchor, colour by nation, width by share in the period; temporal by period -->
  <renderer-v2 type="categorizedSymbol" attr="nation" symbollevels="0" forceraster="0" enableorderby="1" referencescale="-1">
<categories>
<category value="US" symbol="0" label="US force · from its home base to the theater's anchor; width = share of the force (1 mm = all of it)" render="true"/>
<category value="ROK" symbol="1" label="ROK force · from its home base to the theater's anchor; width = share of the force (1 mm = all of it)" render="true"/>
</categories>
<symbols>
<symbol type="line" name="0" alpha="0.55" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${nation_US}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.3"/>
<Option type="QString" name="line_width_unit" value="MM"/>
<Option type="QString" name="use_custom_dash" value="1"/>
<Option type="QString" name="customdash" value="3;1.5"/>
<Option type="QString" name="customdash_unit" value="MM"/>
<Option type="QString" name="offset_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='0.15 + 0.85 * coalesce("share", 0)'/>
<Option type="int" name="type" value="3"/>
</Option>
<Option type="Map" name="offset">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="field" value="offset_mm"/>
<Option type="int" name="type" value="2"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="1" alpha="0.55" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${nation_ROK}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.3"/>
<Option type="QString" name="line_width_unit" value="MM"/>
<Option type="QString" name="use_custom_dash" value="1"/>
<Option type="QString" name="customdash" value="3;1.5"/>
<Option type="QString" name="customdash_unit" value="MM"/>
<Option type="QString" name="offset_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="expression" value='0.15 + 0.85 * coalesce("share", 0)'/>
<Option type="int" name="type" value="3"/>
</Option>
<Option type="Map" name="offset">
<Option type="bool" name="active" value="true"/>
<Option type="QString" name="field" value="offset_mm"/>
<Option type="int" name="type" value="2"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
</symbols>
<orderby>
<orderByClause asc="0" nullsFirst="0">"share"</orderByClause>
</orderby>
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
  <mapTip>&lt;b&gt;[% "force_name" %]&lt;/b&gt; ([% "force" %])&lt;br&gt;[% "home_name" %] → [% "anchor_name" %] ([% "theater" %])&lt;br&gt;period: [% "period" %]&lt;br&gt;share: [% format_number("share", 3) %]&lt;br&gt;troops: [% "troops" %]</mapTip>
  <previewExpression>"force_name" || ': ' || "home_name" || ' → ' || "anchor_name" || ', period ' || "period"</previewExpression>
</qgis>
