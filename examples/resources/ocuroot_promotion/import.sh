# A deployment promotion: DEPLOYMENT#RELEASE, i.e. PACKAGE/ENVIRONMENT#PACKAGE@VERSION.
terraform import 'ocuroot_promotion.web_prod_cutover[0]' 'web/prod#web@2.0.0'

# A phase approval: RELEASE#PHASE.
terraform import 'ocuroot_promotion.web_prod_approval[0]' 'web@2.0.0#prod'
